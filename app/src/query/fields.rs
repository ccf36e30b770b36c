//! The fields a query can name: the event columns, their ECS aliases, short names for common
//! keys of the JSON `fields` map, and `fields.<key>` for any other key.

/// A column of the stored event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Timestamp,
    ReceivedAt,
    Host,
    SourceIp,
    SourcePort,
    DestinationIp,
    DestinationPort,
    UserName,
    EventCategory,
    EventAction,
    EventOutcome,
    Level,
    Process,
    Pid,
    Message,
    Raw,
    Parser,
    Source,
    Flags,
    RepeatCount,
}

/// How a column's values are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Short text, matched whole: `host:web-1`, `host:web-*`.
    Text,
    /// Free text, matched as a substring: `message:failed` finds "login failed for bob".
    LongText,
    /// An address in canonical text form, matched as an address or a CIDR block.
    Address,
    /// An integer.
    Integer,
    /// An instant.
    Time,
    /// The bits of the event's flags, matched by name or as an integer.
    Flags,
}

impl Column {
    pub const ALL: [Column; 20] = [
        Self::Timestamp,
        Self::ReceivedAt,
        Self::Host,
        Self::SourceIp,
        Self::SourcePort,
        Self::DestinationIp,
        Self::DestinationPort,
        Self::UserName,
        Self::EventCategory,
        Self::EventAction,
        Self::EventOutcome,
        Self::Level,
        Self::Process,
        Self::Pid,
        Self::Message,
        Self::Raw,
        Self::Parser,
        Self::Source,
        Self::Flags,
        Self::RepeatCount,
    ];

    /// The column's name in `bronze_event_data`, which is also its canonical name in queries.
    pub fn name(self) -> &'static str {
        match self {
            Self::Timestamp => "timestamp",
            Self::ReceivedAt => "received_at",
            Self::Host => "host",
            Self::SourceIp => "source_ip",
            Self::SourcePort => "source_port",
            Self::DestinationIp => "destination_ip",
            Self::DestinationPort => "destination_port",
            Self::UserName => "user_name",
            Self::EventCategory => "event_category",
            Self::EventAction => "event_action",
            Self::EventOutcome => "event_outcome",
            Self::Level => "level",
            Self::Process => "process",
            Self::Pid => "pid",
            Self::Message => "message",
            Self::Raw => "raw",
            Self::Parser => "parser",
            Self::Source => "source",
            Self::Flags => "flags",
            Self::RepeatCount => "repeat_count",
        }
    }

    pub fn kind(self) -> Kind {
        match self {
            Self::Timestamp | Self::ReceivedAt => Kind::Time,
            Self::SourceIp | Self::DestinationIp => Kind::Address,
            Self::SourcePort | Self::DestinationPort | Self::Pid | Self::RepeatCount => {
                Kind::Integer
            }
            Self::Message | Self::Raw => Kind::LongText,
            Self::Flags => Kind::Flags,
            _ => Kind::Text,
        }
    }

    /// Whether the column can be NULL (an event without that value).
    pub fn nullable(self) -> bool {
        !matches!(
            self,
            Self::Timestamp
                | Self::ReceivedAt
                | Self::Message
                | Self::Raw
                | Self::Parser
                | Self::Source
                | Self::Flags
                | Self::RepeatCount
        )
    }
}

/// What a field name refers to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field {
    Column(Column),
    /// A key of the event's JSON `fields` map (keys are flat dotted strings).
    Json(String),
}

/// The prefix that names a key of the JSON `fields` map.
pub const JSON_PREFIX: &str = "fields.";

/// ECS names and other aliases of the columns.
const COLUMN_ALIASES: [(&str, Column); 19] = [
    ("@timestamp", Column::Timestamp),
    ("event.ingested", Column::ReceivedAt),
    ("host.name", Column::Host),
    ("hostname", Column::Host),
    ("source.ip", Column::SourceIp),
    ("source.port", Column::SourcePort),
    ("destination.ip", Column::DestinationIp),
    ("destination.port", Column::DestinationPort),
    ("user.name", Column::UserName),
    ("user", Column::UserName),
    ("event.category", Column::EventCategory),
    ("event.action", Column::EventAction),
    ("action", Column::EventAction),
    ("event.outcome", Column::EventOutcome),
    ("outcome", Column::EventOutcome),
    ("log.level", Column::Level),
    ("process.name", Column::Process),
    ("process.pid", Column::Pid),
    ("event.original", Column::Raw),
];

/// Short names and ECS names of keys the parsers put in `fields`.
const JSON_ALIASES: [(&str, &str); 14] = [
    ("status", "http.response.status_code"),
    ("method", "http.request.method"),
    ("url", "url.original"),
    ("user_agent", "user_agent.original"),
    ("referrer", "http.request.referrer"),
    ("bytes", "http.response.body.bytes"),
    ("http.response.status_code", "http.response.status_code"),
    ("http.request.method", "http.request.method"),
    ("http.request.referrer", "http.request.referrer"),
    ("http.response.body.bytes", "http.response.body.bytes"),
    ("url.original", "url.original"),
    ("user_agent.original", "user_agent.original"),
    ("source.domain", "source.domain"),
    ("process.command_line", "process.command_line"),
];

/// Why a field name was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldError {
    Unknown,
    /// A `fields.` key with a character outside the allowed set.
    BadKey,
}

impl Field {
    /// Resolves a field name as written in a query. Names are case-sensitive, like the keys of
    /// `fields`.
    pub fn resolve(name: &str) -> Result<Field, FieldError> {
        if let Some(key) = name.strip_prefix(JSON_PREFIX) {
            return if valid_key(key) {
                Ok(Field::Json(key.to_string()))
            } else {
                Err(FieldError::BadKey)
            };
        }
        if let Some(c) = Column::ALL.into_iter().find(|c| c.name() == name) {
            return Ok(Field::Column(c));
        }
        if let Some((_, c)) = COLUMN_ALIASES.iter().find(|(alias, _)| *alias == name) {
            return Ok(Field::Column(*c));
        }
        if let Some((_, key)) = JSON_ALIASES.iter().find(|(alias, _)| *alias == name) {
            return Ok(Field::Json((*key).to_string()));
        }
        Err(FieldError::Unknown)
    }

    /// The canonical name: the column's name or `fields.<key>`.
    pub fn name(&self) -> String {
        match self {
            Field::Column(c) => c.name().to_string(),
            Field::Json(key) => format!("{JSON_PREFIX}{key}"),
        }
    }
}

/// Keys under `fields.` are limited to characters that need no quoting in a JSON path, so the
/// SQL back end can address them exactly on every database.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'@'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_to_columns_aliases_and_keys() {
        for c in Column::ALL {
            assert_eq!(Field::resolve(c.name()), Ok(Field::Column(c)));
        }
        assert_eq!(
            Field::resolve("source.ip"),
            Ok(Field::Column(Column::SourceIp))
        );
        assert_eq!(
            Field::resolve("log.level"),
            Ok(Field::Column(Column::Level))
        );
        assert_eq!(
            Field::resolve("status"),
            Ok(Field::Json("http.response.status_code".into()))
        );
        assert_eq!(
            Field::resolve("fields.http.user_agent"),
            Ok(Field::Json("http.user_agent".into()))
        );
        assert_eq!(Field::resolve("Host"), Err(FieldError::Unknown));
        assert_eq!(Field::resolve("nosuch"), Err(FieldError::Unknown));
        assert_eq!(Field::resolve("fields."), Err(FieldError::BadKey));
        assert_eq!(Field::resolve("fields.a\"b"), Err(FieldError::BadKey));
    }
}
