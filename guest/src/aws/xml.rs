//! The few values certwatch reads from AWS's XML replies (SNS's `Publish` result and XML error
//! documents), read with quick-xml's event reader. Mapping them with serde instead cost the
//! component about 50 KB of code for two strings.

use quick_xml::Reader;
use quick_xml::errors::IllFormedError;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;

/// The text of the first element whose path from the root (local names: namespace prefixes
/// dropped) `wanted` accepts, with entities resolved and surrounding whitespace trimmed.
/// `Ok(None)` if no element matches; `Err` if the document is malformed before one does.
pub fn first_text(
    xml: &str,
    wanted: impl Fn(&[String]) -> bool,
) -> Result<Option<String>, quick_xml::Error> {
    let mut reader = Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    // The depth of the element being read, and its text so far.
    let mut reading: Option<(usize, String)> = None;
    loop {
        match reader.read_event()? {
            Event::Start(start) => {
                path.push(start.local_name().as_ref().to_owned());
                if reading.is_none() && wanted(&path) {
                    reading = Some((path.len(), String::new()));
                }
            }
            Event::Empty(empty) => {
                path.push(empty.local_name().as_ref().to_owned());
                if reading.is_none() && wanted(&path) {
                    return Ok(Some(String::new()));
                }
                path.pop();
            }
            Event::End(_) => {
                if let Some((_, text)) = reading.take_if(|(depth, _)| *depth == path.len()) {
                    return Ok(Some(text.trim().to_owned()));
                }
                path.pop();
            }
            Event::Text(text) => {
                if let Some((_, so_far)) = reading.as_mut() {
                    so_far.push_str(&text.xml10_content());
                }
            }
            Event::CData(data) => {
                if let Some((_, so_far)) = reading.as_mut() {
                    so_far.push_str(&data.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                if let Some((_, so_far)) = reading.as_mut() {
                    match reference.resolve_char_ref()? {
                        Some(c) => so_far.push(c),
                        None => {
                            let name = reference.xml10_content();
                            match resolve_predefined_entity(&name) {
                                Some(text) => so_far.push_str(text),
                                // An entity the document declares itself: kept as written.
                                None => {
                                    so_far.push('&');
                                    so_far.push_str(&name);
                                    so_far.push(';');
                                }
                            }
                        }
                    }
                }
            }
            // A document cut short is malformed, not one without the element.
            Event::Eof => {
                return match path.pop() {
                    Some(open) => Err(IllFormedError::MissingEndTag(open).into()),
                    None => Ok(None),
                };
            }
            _ => {}
        }
    }
}

/// Whether `path` is exactly these names.
pub fn is_path(path: &[String], names: &[&str]) -> bool {
    path.len() == names.len() && path.iter().zip(names).all(|(a, b)| a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLISHED: &str = r#"<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <PublishResult>
    <MessageId>
      567910cd-659e-55d4-8ccb-5aaf14679dc0
    </MessageId>
  </PublishResult>
  <ResponseMetadata><RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId></ResponseMetadata>
</PublishResponse>"#;

    fn at<'a>(names: &'a [&'a str]) -> impl Fn(&[String]) -> bool + 'a {
        move |path| is_path(path, names)
    }

    #[test]
    fn the_text_at_a_path_trimmed() {
        let id = first_text(
            PUBLISHED,
            at(&["PublishResponse", "PublishResult", "MessageId"]),
        );
        assert_eq!(
            id.unwrap().as_deref(),
            Some("567910cd-659e-55d4-8ccb-5aaf14679dc0")
        );
    }

    #[test]
    fn no_element_there_is_none() {
        let id = first_text(PUBLISHED, at(&["PublishResponse", "MessageId"]));
        assert_eq!(id.unwrap(), None);
    }

    #[test]
    fn entities_character_references_and_cdata_are_text() {
        let doc =
            "<a:E xmlns:a='x'><a:M>1 &lt; 2 &amp;&#x20;&#51; <![CDATA[<ok>]]> &custom;</a:M></a:E>";
        assert_eq!(
            first_text(doc, at(&["E", "M"])).unwrap().as_deref(),
            Some("1 < 2 & 3 <ok> &custom;")
        );
    }

    #[test]
    fn an_empty_element_is_empty_text() {
        assert_eq!(
            first_text("<A><B/></A>", at(&["A", "B"]))
                .unwrap()
                .as_deref(),
            Some("")
        );
    }

    #[test]
    fn malformed_documents_are_errors() {
        assert!(first_text("<A><B>x</C></A>", at(&["A", "B"])).is_err());
        assert!(first_text("not xml at all <", at(&["A"])).is_err());
        // Cut short inside the element wanted, and after it.
        let cut = first_text("<A><B>x", at(&["A", "B"])).unwrap_err();
        assert!(cut.to_string().contains("`</B>` not found"), "{cut}");
        assert!(first_text("<A><C>x</C>", at(&["A", "B"])).is_err());
    }
}
