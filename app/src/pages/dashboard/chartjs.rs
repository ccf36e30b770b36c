//! Drawing a [`ChartSpec`] with Chart.js, the page's `window.Chart` (loaded from the site by the
//! shell's `<script src>`). The configuration is built with chart-js-rs; the chart is then made
//! with `new Chart(canvas, config)` here rather than with chart-js-rs's `render`, which evaluates
//! JavaScript source text (`eval`) that the Content-Security-Policy refuses. No option holds a
//! function written as text: the click and hover handlers are Rust closures.

use chart_js_rs::bar::Bar;
use chart_js_rs::{
    Animation, ChartExt, ChartInteraction, ChartOptions, ChartPlugins, ChartScale, Dataset,
    DatasetData, PluginLegend, XYDataset,
};
use leptos::web_sys::HtmlCanvasElement;
use leptos::web_sys::js_sys::{Array, Function, Reflect, global};
use leptos::web_sys::wasm_bindgen::closure::Closure;
use leptos::web_sys::wasm_bindgen::{JsCast, JsValue};

use super::canvas::{ChartSpec, Shape};

type Handler = Closure<dyn FnMut(JsValue, JsValue, JsValue)>;

/// A chart on the page; dropping it destroys the Chart.js instance (and its listeners) before
/// its handlers go.
pub struct Drawn {
    chart: JsValue,
    _click: Handler,
    _hover: Handler,
}

impl Drop for Drawn {
    fn drop(&mut self) {
        if let Ok(destroy) = Reflect::get(&self.chart, &"destroy".into())
            && let Ok(destroy) = destroy.dyn_into::<Function>()
        {
            let _ = destroy.call0(&self.chart);
        }
    }
}

/// The chart-js-rs configuration of `spec`.
fn config(spec: &ChartSpec) -> Bar<Vec<XYDataset>> {
    let kind = match spec.shape {
        Shape::Percent => "line",
        Shape::Stacked | Shape::Ranked => "bar",
    };
    let datasets: Vec<XYDataset> = spec
        .lines
        .iter()
        .map(|line| {
            let values: Vec<serde_json::Value> = line
                .values
                .iter()
                .map(|v| v.map_or(serde_json::Value::Null, serde_json::Value::from))
                .collect();
            XYDataset::new()
                .dataset_type(kind)
                .label(line.name.clone())
                .data(DatasetData(serde_json::Value::Array(values)))
                .background_color(line.color.to_string())
                .border_color(line.color)
                .point_radius(2)
                .span_gaps(false)
        })
        .collect();
    let mut scales = vec![
        ("x".to_string(), ChartScale::new()),
        ("y".to_string(), ChartScale::new().begin_at_zero(true)),
    ];
    match spec.shape {
        Shape::Stacked => {
            for (_, scale) in &mut scales {
                *scale = scale.clone().stacked(true);
            }
        }
        Shape::Percent => scales[1].1 = scales[1].1.clone().min(0).max(100),
        Shape::Ranked => {}
    }
    let legend = PluginLegend::new().display(spec.shape != Shape::Ranked);
    let mut options = ChartOptions::new()
        .animation(Animation::new().duration(0))
        .maintain_aspect_ratio(false)
        .responsive(true)
        .interaction(ChartInteraction::new().intersect(spec.shape != Shape::Percent))
        .plugins(ChartPlugins::new().legend(legend))
        .scales(scales);
    if spec.shape == Shape::Ranked {
        options = options.index_axis("y");
    }
    Bar::new(String::new())
        .data(
            Dataset::new()
                .labels(spec.labels.iter().cloned())
                .datasets(datasets),
        )
        .options(options)
}

/// The `(dataset, index)` of the first element Chart.js reports under the pointer.
fn first_element(elements: &JsValue) -> Option<(usize, usize)> {
    let first = elements.dyn_ref::<Array>()?.get(0);
    let get = |key: &str| {
        Reflect::get(&first, &key.into())
            .ok()?
            .as_f64()
            .map(|v| v as usize)
    };
    Some((get("datasetIndex")?, get("index")?))
}

/// Draws `spec` on `canvas`; clicking a value calls `open` with its link. `None` when the page
/// has no Chart.js or it refused the configuration.
pub fn draw(
    canvas: &HtmlCanvasElement,
    spec: &ChartSpec,
    open: impl Fn(String) + 'static,
) -> Option<Drawn> {
    let ctor = Reflect::get(&global(), &"Chart".into())
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    let config = config(spec).into_json();
    let options = Reflect::get(&config, &"options".into()).ok()?;

    let links: Vec<Vec<String>> = spec.lines.iter().map(|l| l.links.clone()).collect();
    let target = move |elements: &JsValue| {
        let (dataset, index) = first_element(elements)?;
        links.get(dataset)?.get(index).cloned()
    };
    let target = std::rc::Rc::new(target);
    let on_click = target.clone();
    let click = Handler::new(move |_event, elements, _chart| {
        if let Some(href) = on_click(&elements) {
            open(href);
        }
    });
    let style = Reflect::get(canvas, &"style".into()).ok()?;
    let hover = Handler::new(move |_event, elements, _chart| {
        let cursor = if target(&elements).is_some() {
            "pointer"
        } else {
            "default"
        };
        let _ = Reflect::set(&style, &"cursor".into(), &cursor.into());
    });
    Reflect::set(&options, &"onClick".into(), click.as_ref()).ok()?;
    Reflect::set(&options, &"onHover".into(), hover.as_ref()).ok()?;

    let chart = Reflect::construct(&ctor, &Array::of2(canvas, &config)).ok()?;
    Some(Drawn {
        chart,
        _click: click,
        _hover: hover,
    })
}
