//! Configuration, read from the environment the host hands the component.

use crate::arn::{EventBus, TopicArn, is_region};
use crate::decision::SeverityThresholds;
use crate::filter::{Filters, TagPattern};
pub use certwatch_contract::Service;
use certwatch_contract::settings;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// The expiry window, in days, when `EXPIRY_DAYS` is unset.
pub const DEFAULT_EXPIRY_DAYS: u32 = 45;
/// Certificate lookups a scan makes at once when `SCAN_CONCURRENCY` is unset.
pub const DEFAULT_SCAN_CONCURRENCY: usize = 8;
const MAX_SCAN_CONCURRENCY: usize = 64;
/// How long one attempt waits for its reply when `REQUEST_TIMEOUT_MS` is unset.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT_MS: std::ops::RangeInclusive<u64> = 50..=60_000;
const MAX_EXPIRY_DAYS: u32 = 3650;

/// Credentials used to sign requests. `Debug` never shows the secret parts.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: String,
    /// `AWS_SESSION_TOKEN`, which temporary credentials (Lambda's role) carry.
    pub session_token: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// Endpoint overrides following the AWS SDKs' convention: a service's own variable wins over
/// `AWS_ENDPOINT_URL`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointOverrides {
    all: Option<String>,
    acm: Option<String>,
    security_hub: Option<String>,
    sns: Option<String>,
    sts: Option<String>,
    organizations: Option<String>,
    sqs: Option<String>,
    events: Option<String>,
}

impl EndpointOverrides {
    /// Where `service`'s requests go instead of its AWS endpoint, if anywhere.
    pub fn for_service(&self, service: Service) -> Option<&str> {
        let specific = match service {
            Service::Acm => &self.acm,
            Service::SecurityHub => &self.security_hub,
            Service::Sns => &self.sns,
            Service::Sts => &self.sts,
            Service::Organizations => &self.organizations,
            Service::Sqs => &self.sqs,
            Service::Events => &self.events,
        };
        specific.as_deref().or(self.all.as_deref())
    }
}

/// What the component runs with, read and checked once per event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Certificates expiring within this many days are acted upon.
    pub expiry_days: u32,
    /// Where every notification goes (`SNS_TOPIC_ARN`); when unset, only owner topics hear.
    pub sns_topic: Option<TopicArn>,
    /// Where findings go; the certificate's own region when unset.
    pub security_hub_region: Option<String>,
    /// The region certwatch runs in (`AWS_REGION`, else `AWS_DEFAULT_REGION`).
    pub region: Option<String>,
    /// What requests are signed with.
    pub credentials: Credentials,
    /// Where requests go instead of AWS's endpoints (`AWS_ENDPOINT_URL`, and each service's).
    pub endpoints: EndpointOverrides,
    /// The finding's `GeneratorId` (`CERTWATCH_GENERATOR_ID`; on Lambda, the function's ARN).
    pub generator_id: String,
    /// X-Ray trace header to pass on to AWS (`_X_AMZN_TRACE_ID`, as Lambda sets it).
    pub trace_id: Option<String>,
    /// Regions a scheduled scan covers (`SCAN_REGIONS`, comma-separated); empty for the
    /// event's own region.
    pub scan_regions: Vec<String>,
    /// Certificate lookups a scan makes at once (`SCAN_CONCURRENCY`).
    pub scan_concurrency: usize,
    /// Days left on which an event notifies (`NOTIFY_AT_DAYS`, e.g. `45,30,14,7,3,1`); every
    /// day when unset. An expired certificate always notifies. Findings update every day.
    pub notify_at_days: Option<std::collections::BTreeSet<i64>>,
    /// Days left at or under which findings are critical, high and medium
    /// (`SEVERITY_DAYS`, e.g. `7,14,30`).
    pub severity: SeverityThresholds,
    /// Decide everything and report the requests that would change something, without sending
    /// them (`DRY_RUN=true`); lookups are still made.
    pub dry_run: bool,
    /// How long one attempt waits for AWS's reply (`REQUEST_TIMEOUT_MS`) before it counts as
    /// timed out and is retried.
    pub request_timeout: Duration,
    /// Which certificates certwatch acts on.
    pub filters: Filters,
    /// A tag whose value names an SNS topic that also receives the certificate's alerts
    /// (`OWNER_TOPIC_TAG`, e.g. `certwatch:owner-topic`).
    pub owner_topic_tag: Option<String>,
    /// List every certificate a scan sees in its outcome (`CERTWATCH_SCAN_LIST`, which only
    /// `certwatch scan` sets): a scheduled scan's outcome stays small without it.
    pub list_certificates: bool,
    /// The accounts certwatch acts in besides its own, and how.
    pub organization: crate::organization::Organization,
    /// Where each alert also goes as a chat custom notification (`CHAT_TOPIC_ARN`).
    pub chat_topic: Option<TopicArn>,
    /// The bus that receives one event per decision (`EVENT_BUS_NAME`).
    pub event_bus: Option<EventBus>,
}

/// A setting that is missing or not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    /// The environment variable's name.
    pub variable: &'static str,
    /// What is wrong with its value.
    pub message: String,
}

impl Config {
    /// How this configuration makes its calls.
    pub fn call_options(&self) -> crate::aws::call::CallOptions<'_> {
        crate::aws::call::CallOptions {
            dry_run: self.dry_run,
            trace_id: self.trace_id.as_deref(),
            reply_timeout: self.request_timeout,
        }
    }

    /// Reads and validates the configuration from name-value pairs (`from_env` over a slice: the
    /// one instance of it the component carries).
    pub fn from_pairs(env: &[(String, String)]) -> Result<Self, ConfigError> {
        Self::from_env(env.iter().map(|(k, v)| (k, v)))
    }

    /// Reads and validates the configuration. Empty values count as unset, as Lambda's console
    /// leaves them.
    fn from_env<K: AsRef<str>, V: AsRef<str>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, ConfigError> {
        let vars: BTreeMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().trim().to_owned()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let get = |name: &str| vars.get(name).map(String::as_str);
        let fail = |variable, message: String| ConfigError { variable, message };

        let expiry_days = match get(settings::EXPIRY_DAYS) {
            None => DEFAULT_EXPIRY_DAYS,
            Some(text) => whole_number(settings::EXPIRY_DAYS, text, 1..=MAX_EXPIRY_DAYS)?,
        };
        let sns_topic = get(settings::SNS_TOPIC_ARN)
            .map(|text| {
                TopicArn::parse(text).map_err(|e| fail(settings::SNS_TOPIC_ARN, e.to_string()))
            })
            .transpose()?;
        let region_var = |name: &'static str| -> Result<Option<String>, ConfigError> {
            match get(name) {
                Some(r) if !is_region(r) => Err(fail(
                    name,
                    format!("{r:?} is not a region name like us-east-1"),
                )),
                other => Ok(other.map(str::to_owned)),
            }
        };
        let security_hub_region = region_var(settings::SECURITY_HUB_REGION)?;
        let region = match region_var(settings::AWS_REGION)? {
            Some(r) => Some(r),
            None => region_var(settings::AWS_DEFAULT_REGION)?,
        };

        let access_key_id = get(settings::AWS_ACCESS_KEY_ID).ok_or_else(|| {
            fail(
                settings::AWS_ACCESS_KEY_ID,
                "is not set; certwatch needs credentials to call AWS".into(),
            )
        })?;
        let secret_access_key = get(settings::AWS_SECRET_ACCESS_KEY).ok_or_else(|| {
            fail(
                settings::AWS_SECRET_ACCESS_KEY,
                "is not set; certwatch needs credentials to call AWS".into(),
            )
        })?;
        let credentials = Credentials {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret_access_key.to_owned(),
            session_token: get(settings::AWS_SESSION_TOKEN).map(str::to_owned),
        };

        let endpoint_var = |name: &'static str| -> Result<Option<String>, ConfigError> {
            get(name)
                .map(|url| check_endpoint(url).map_err(|m| fail(name, m)))
                .transpose()
        };
        let endpoints = EndpointOverrides {
            all: endpoint_var(settings::AWS_ENDPOINT_URL)?,
            acm: endpoint_var(Service::Acm.endpoint_variable())?,
            security_hub: endpoint_var(Service::SecurityHub.endpoint_variable())?,
            sns: endpoint_var(Service::Sns.endpoint_variable())?,
            sts: endpoint_var(Service::Sts.endpoint_variable())?,
            organizations: endpoint_var(Service::Organizations.endpoint_variable())?,
            sqs: endpoint_var(Service::Sqs.endpoint_variable())?,
            events: endpoint_var(Service::Events.endpoint_variable())?,
        };

        let generator_id = get(settings::GENERATOR_ID).unwrap_or(crate::finding::GENERATOR_ID);
        if generator_id.len() > 512 {
            return Err(fail(
                settings::GENERATOR_ID,
                "is longer than Security Hub's 512 characters".into(),
            ));
        }
        let trace_id = get(settings::TRACE_ID)
            .filter(|t| t.is_ascii() && !t.contains(['\r', '\n']))
            .map(str::to_owned);

        let scan_regions = match get(settings::SCAN_REGIONS) {
            None => Vec::new(),
            Some(list) => {
                let regions: Vec<String> = items(list).map(str::to_owned).collect();
                if let Some(bad) = regions.iter().find(|r| !is_region(r)) {
                    return Err(fail(
                        settings::SCAN_REGIONS,
                        format!("{bad:?} is not a region name like us-east-1"),
                    ));
                }
                regions
            }
        };
        let scan_concurrency = match get(settings::SCAN_CONCURRENCY) {
            None => DEFAULT_SCAN_CONCURRENCY,
            Some(text) => whole_number(settings::SCAN_CONCURRENCY, text, 1..=MAX_SCAN_CONCURRENCY)?,
        };

        let severity = match get(settings::SEVERITY_DAYS) {
            None => SeverityThresholds::default(),
            Some(list) => severity_thresholds(list)?,
        };

        let flag = |name: &'static str| match get(name) {
            None => Ok(false),
            Some(text) => match text.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err(fail(name, format!("{text:?} is not true or false"))),
            },
        };
        let dry_run = flag(settings::DRY_RUN)?;
        let list_certificates = flag(settings::SCAN_LIST)?;
        let tag_patterns = |name: &'static str| -> Result<Vec<TagPattern>, ConfigError> {
            get(name)
                .map(items)
                .into_iter()
                .flatten()
                .map(|item| TagPattern::parse(item).map_err(|m| fail(name, m)))
                .collect()
        };
        let filters = Filters {
            only_imported: flag(settings::ONLY_IMPORTED)?,
            only_in_use: flag(settings::ONLY_IN_USE)?,
            include_tags: tag_patterns(settings::INCLUDE_TAGS)?,
            exclude_tags: tag_patterns(settings::EXCLUDE_TAGS)?,
        };
        let owner_topic_tag = get(settings::OWNER_TOPIC_TAG).map(str::to_owned);
        let organization = crate::organization::Organization::from_settings(get)?;

        let request_timeout = match get(settings::REQUEST_TIMEOUT_MS) {
            None => DEFAULT_REQUEST_TIMEOUT,
            Some(text) => Duration::from_millis(whole_number(
                settings::REQUEST_TIMEOUT_MS,
                text,
                REQUEST_TIMEOUT_MS,
            )?),
        };

        let notify_at_days = match get(settings::NOTIFY_AT_DAYS) {
            None => None,
            Some(list) => {
                let mut days = std::collections::BTreeSet::new();
                for item in items(list) {
                    days.insert(whole_number(
                        settings::NOTIFY_AT_DAYS,
                        item,
                        0..=i64::from(MAX_EXPIRY_DAYS),
                    )?);
                }
                Some(days)
            }
        };

        let chat_topic = get(settings::CHAT_TOPIC_ARN)
            .map(|text| {
                TopicArn::parse(text).map_err(|e| fail(settings::CHAT_TOPIC_ARN, e.to_string()))
            })
            .transpose()?;
        let event_bus = get(settings::EVENT_BUS_NAME)
            .map(|text| {
                EventBus::parse(text).map_err(|e| fail(settings::EVENT_BUS_NAME, e.to_string()))
            })
            .transpose()?;

        Ok(Self {
            organization,
            chat_topic,
            event_bus,
            filters,
            owner_topic_tag,
            list_certificates,
            dry_run,
            severity,
            request_timeout,
            notify_at_days,
            scan_regions,
            scan_concurrency,
            expiry_days,
            sns_topic,
            security_hub_region,
            region,
            credentials,
            endpoints,
            generator_id: generator_id.to_owned(),
            trace_id,
        })
    }
}

/// The items of a comma-separated list, trimmed, empty ones left out.
fn items(list: &str) -> impl Iterator<Item = &str> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

/// `text` as a whole number inside `range`, or an error that names `variable` and the range.
/// `SEVERITY_DAYS`: three days-left thresholds, critical, high and medium, each above the last.
fn severity_thresholds(list: &str) -> Result<SeverityThresholds, ConfigError> {
    let days: Vec<i64> = items(list)
        .map(|item| {
            whole_number(
                settings::SEVERITY_DAYS,
                item,
                0..=i64::from(MAX_EXPIRY_DAYS),
            )
        })
        .collect::<Result<_, _>>()?;
    match days[..] {
        [critical, high, medium] if critical < high && high < medium => Ok(SeverityThresholds {
            critical,
            high,
            medium,
        }),
        _ => Err(ConfigError {
            variable: settings::SEVERITY_DAYS,
            message: format!(
                "{list:?} is not three rising numbers of days for critical, high and medium, like 7,14,30"
            ),
        }),
    }
}

fn whole_number<T>(
    variable: &'static str,
    text: &str,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    text.parse::<T>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| ConfigError {
            variable,
            message: format!(
                "{text:?} is not a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        })
}

/// An endpoint override must be an `http(s)://host[:port]` base URL; the trailing `/` is dropped.
fn check_endpoint(url: &str) -> Result<String, String> {
    let uri: http::Uri = url.parse().map_err(|_| format!("{url:?} is not a URL"))?;
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    let path_ok = uri.path() == "/" || uri.path().is_empty();
    if !scheme_ok || uri.host().is_none() || !path_ok || uri.query().is_some() {
        return Err(format!(
            "{url:?} is not an http(s)://host[:port] endpoint URL"
        ));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREDS: [(&str, &str); 2] = [
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "s3cr3t"),
    ];

    fn with(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_env(CREDS.iter().chain(extra).copied())
    }

    #[test]
    fn defaults() {
        let config = with(&[]).unwrap();
        assert_eq!(config.expiry_days, 45);
        assert_eq!(config.sns_topic, None);
        assert_eq!(config.security_hub_region, None);
        assert_eq!(config.region, None);
        assert_eq!(config.credentials.session_token, None);
        assert_eq!(config.endpoints.for_service(Service::Acm), None);
        assert_eq!(config.generator_id, "certwatch/acm-certificate-expiry");
        assert_eq!(config.trace_id, None);
    }

    #[test]
    fn notification_days() {
        let config = with(&[("NOTIFY_AT_DAYS", "45, 30,14,7,3,1")]).unwrap();
        let days: Vec<i64> = config.notify_at_days.unwrap().into_iter().collect();
        assert_eq!(days, [1, 3, 7, 14, 30, 45]);
        assert_eq!(with(&[]).unwrap().notify_at_days, None);
        assert_eq!(
            with(&[("NOTIFY_AT_DAYS", "7,soon")]).unwrap_err().variable,
            "NOTIFY_AT_DAYS"
        );
        assert_eq!(
            with(&[("NOTIFY_AT_DAYS", "-1")]).unwrap_err().variable,
            "NOTIFY_AT_DAYS"
        );
    }

    #[test]
    fn scan_settings() {
        let config = with(&[
            ("SCAN_REGIONS", " us-east-1, eu-west-1 ,"),
            ("SCAN_CONCURRENCY", "4"),
        ])
        .unwrap();
        assert_eq!(config.scan_regions, ["us-east-1", "eu-west-1"]);
        assert_eq!(config.scan_concurrency, 4);
        assert_eq!(
            with(&[]).unwrap().scan_concurrency,
            DEFAULT_SCAN_CONCURRENCY
        );
    }

    #[test]
    fn severity_thresholds_default_to_7_14_30() {
        assert_eq!(with(&[]).unwrap().severity, SeverityThresholds::default());
        let config = with(&[("SEVERITY_DAYS", "10, 20, 40")]).unwrap();
        assert_eq!(
            config.severity,
            SeverityThresholds {
                critical: 10,
                high: 20,
                medium: 40
            }
        );
    }

    #[test]
    fn filters_and_owner_routing() {
        let config = with(&[
            ("ONLY_IMPORTED", "true"),
            ("INCLUDE_TAGS", "env=prod, team"),
            ("EXCLUDE_TAGS", "certwatch=ignore"),
            ("OWNER_TOPIC_TAG", "owner-topic"),
        ])
        .unwrap();
        assert!(config.filters.only_imported && !config.filters.only_in_use);
        assert_eq!(config.filters.include_tags.len(), 2);
        assert_eq!(
            config.filters.exclude_tags[0].to_string(),
            "certwatch=ignore"
        );
        assert_eq!(config.owner_topic_tag.as_deref(), Some("owner-topic"));
        assert_eq!(with(&[]).unwrap().filters, Filters::default());
    }

    #[test]
    fn request_timeout_is_ten_seconds_unless_set() {
        assert_eq!(with(&[]).unwrap().request_timeout, DEFAULT_REQUEST_TIMEOUT);
        let config = with(&[("REQUEST_TIMEOUT_MS", "250")]).unwrap();
        assert_eq!(config.request_timeout, Duration::from_millis(250));
    }

    #[test]
    fn lambda_gives_the_generator_and_the_trace() {
        let config = with(&[
            (
                "CERTWATCH_GENERATOR_ID",
                "arn:aws:lambda:us-east-1:123456789012:function:certwatch",
            ),
            (
                "_X_AMZN_TRACE_ID",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
            ),
        ])
        .unwrap();
        assert_eq!(
            config.generator_id,
            "arn:aws:lambda:us-east-1:123456789012:function:certwatch"
        );
        assert_eq!(
            config.trace_id.as_deref(),
            Some("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
        );
    }

    #[test]
    fn reads_every_setting() {
        let config = with(&[
            ("EXPIRY_DAYS", "30"),
            ("SNS_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:alerts"),
            ("SECURITY_HUB_REGION", "eu-west-1"),
            ("AWS_DEFAULT_REGION", "us-west-2"),
            ("AWS_SESSION_TOKEN", "tok"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/"),
            ("AWS_ENDPOINT_URL_SNS", "http://127.0.0.1:6000"),
        ])
        .unwrap();
        assert_eq!(config.expiry_days, 30);
        assert_eq!(config.sns_topic.unwrap().arn().account, "123456789012");
        assert_eq!(config.security_hub_region.as_deref(), Some("eu-west-1"));
        assert_eq!(config.region.as_deref(), Some("us-west-2"));
        assert_eq!(config.credentials.session_token.as_deref(), Some("tok"));
        assert_eq!(
            config.endpoints.for_service(Service::Acm),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(
            config.endpoints.for_service(Service::Sns),
            Some("http://127.0.0.1:6000")
        );
    }

    #[test]
    fn aws_region_wins_over_the_default_region_and_empty_values_are_unset() {
        let config = with(&[
            ("AWS_REGION", "eu-central-1"),
            ("AWS_DEFAULT_REGION", "us-west-2"),
            ("SNS_TOPIC_ARN", "  "),
        ])
        .unwrap();
        assert_eq!(config.region.as_deref(), Some("eu-central-1"));
        assert_eq!(config.sns_topic, None);
    }

    #[test]
    fn invalid_settings_name_the_variable() {
        for (var, value) in [
            ("EXPIRY_DAYS", "0"),
            ("EXPIRY_DAYS", "-3"),
            ("EXPIRY_DAYS", "forty"),
            ("EXPIRY_DAYS", "99999"),
            ("SNS_TOPIC_ARN", "alerts"),
            ("SECURITY_HUB_REGION", "Europe"),
            ("AWS_REGION", "us_east_1"),
            ("AWS_ENDPOINT_URL", "localhost:5000"),
            ("AWS_ENDPOINT_URL_ACM", "ftp://127.0.0.1"),
            ("AWS_ENDPOINT_URL_SECURITYHUB", "http://127.0.0.1/some/path"),
            ("SCAN_REGIONS", "us-east-1,Mars"),
            ("SCAN_CONCURRENCY", "0"),
            ("SCAN_CONCURRENCY", "1000"),
            ("REQUEST_TIMEOUT_MS", "10"),
            ("DRY_RUN", "maybe"),
            ("ONLY_IN_USE", "sometimes"),
            ("INCLUDE_TAGS", "env=prod,=x"),
            ("SEVERITY_DAYS", "7,14"),
            ("SEVERITY_DAYS", "14,7,30"),
            ("SEVERITY_DAYS", "7,14,thirty"),
            ("REQUEST_TIMEOUT_MS", "soon"),
        ] {
            let err = with(&[(var, value)]).unwrap_err();
            assert_eq!(err.variable, var, "{err}");
        }
    }

    #[test]
    fn credentials_are_required_and_never_printed() {
        let err = Config::from_env([("AWS_ACCESS_KEY_ID", "AKID")]).unwrap_err();
        assert_eq!(err.variable, "AWS_SECRET_ACCESS_KEY");
        let config = with(&[("AWS_SESSION_TOKEN", "sessiontokenvalue")]).unwrap();
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("sessiontokenvalue"),
            "{shown}"
        );
    }

    #[test]
    fn chat_topic_and_event_bus() {
        let config = with(&[]).unwrap();
        assert_eq!((config.chat_topic, config.event_bus), (None, None));
        let config = with(&[
            ("CHAT_TOPIC_ARN", "arn:aws:sns:eu-west-1:123456789012:chat"),
            ("EVENT_BUS_NAME", "certwatch"),
            ("AWS_ENDPOINT_URL_EVENTS", "http://localhost:4010/"),
        ])
        .unwrap();
        assert_eq!(
            config.chat_topic.map(|t| t.to_string()).as_deref(),
            Some("arn:aws:sns:eu-west-1:123456789012:chat")
        );
        assert_eq!(
            config.event_bus.map(|b| b.to_string()).as_deref(),
            Some("certwatch")
        );
        assert_eq!(
            config.endpoints.for_service(Service::Events),
            Some("http://localhost:4010")
        );
        for (name, value) in [
            ("CHAT_TOPIC_ARN", "arn:aws:sqs:eu-west-1:123456789012:chat"),
            ("EVENT_BUS_NAME", "not a bus"),
        ] {
            assert_eq!(with(&[(name, value)]).unwrap_err().variable, name);
        }
    }
}
