//! A query the parser refused: the message, and the query with a caret under the spot.

use leptos::prelude::*;

use crate::model::events::QueryProblem;

#[component]
pub fn QueryErrorNotice(query: String, problem: QueryProblem) -> impl IntoView {
    let query = query.trim().to_string();
    // The caret line is spaces up to the position; the query is shown in a monospace block.
    let caret = format!("{}^", " ".repeat(problem.position));
    view! {
        <div class="query-error" role="alert">
            <p class="query-error-message">
                {format!(
                    "The query has a syntax error at character {}: {}.",
                    problem.position + 1,
                    problem.message,
                )}
            </p>
            <pre class="query-caret"><code>{query}</code>"\n"<span class="caret">{caret}</span></pre>
            <p class="form-hint">"Correct the query above and search again."</p>
        </div>
    }
}
