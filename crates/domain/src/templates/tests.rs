use proptest::prelude::*;

use super::*;

fn body(text: &str) -> Vec<ListedComponent> {
    vec![ListedComponent {
        kind: "BODY".into(),
        format: None,
        text: Some(text.into()),
        buttons: vec![],
        example: None,
    }]
}

fn template(text: &str) -> Template {
    Template::from_components(
        "t",
        "en_US",
        TemplateStatus::Approved,
        TemplateCategory::Utility,
        ParameterFormat::Positional,
        body(text),
    )
    .unwrap()
}

fn values(pairs: &[(&str, &str)]) -> TemplateValues {
    pairs
        .iter()
        .map(|(k, v)| ((Part::Body, (*k).to_owned()), (*v).to_owned()))
        .collect()
}

#[test]
fn finds_positional_and_named_variables_in_order() {
    assert_eq!(
        variables_in("Hi {{1}}, see you at {{2}}. {{1}}!").unwrap(),
        vec![Variable::Positional(1), Variable::Positional(2)]
    );
    assert_eq!(
        variables_in("Hi {{first_name}}, order {{order_id2}}").unwrap(),
        vec![
            Variable::Named("first_name".into()),
            Variable::Named("order_id2".into())
        ]
    );
    assert_eq!(variables_in("no variables").unwrap(), vec![]);
}

#[test]
fn refuses_malformed_templates() {
    let cases = [
        ("Hi {{0}}", TemplateError::BadVariable("0".into())),
        ("Hi {{First}}", TemplateError::BadVariable("First".into())),
        ("Hi {{ 1 }}", TemplateError::BadVariable(" 1 ".into())),
        ("Hi {{1}", TemplateError::Unclosed),
        ("Hi {{2}}", TemplateError::Gap(2)),
        ("Hi {{1}} {{3}}", TemplateError::Gap(3)),
        ("Hi {{1}} {{name}}", TemplateError::Mixed),
    ];
    for (text, want) in cases {
        let got = Template::from_components(
            "t",
            "en_US",
            TemplateStatus::Approved,
            TemplateCategory::Utility,
            ParameterFormat::Positional,
            body(text),
        );
        assert_eq!(got, Err(want), "{text}");
    }
    let no_body = Template::from_components(
        "t",
        "en_US",
        TemplateStatus::Approved,
        TemplateCategory::Utility,
        ParameterFormat::Positional,
        vec![],
    );
    assert_eq!(no_body, Err(TemplateError::NoBody));
}

#[test]
fn previews_fill_what_is_given_and_show_the_rest() {
    let t = template("Hi {{1}}, see you at {{2}}.");
    assert_eq!(
        t.preview(&values(&[("1", "Ana")])),
        "Hi Ana, see you at {{2}}."
    );
    assert_eq!(
        t.preview(&values(&[("1", "Ana"), ("2", "3 pm")])),
        "Hi Ana, see you at 3 pm."
    );
}

#[test]
fn validation_follows_the_cloud_api_rules() {
    let t = template("Hi {{1}}, see you at {{2}}.");
    assert_eq!(t.validate(&values(&[("1", "Ana"), ("2", "3 pm")])), Ok(()));
    let cases: Vec<(TemplateValues, ValueError)> = vec![
        (
            values(&[("1", "Ana")]),
            ValueError::Missing {
                part: Part::Body,
                key: "2".into(),
            },
        ),
        (
            values(&[("1", "Ana"), ("2", "   ")]),
            ValueError::Missing {
                part: Part::Body,
                key: "2".into(),
            },
        ),
        (
            values(&[("1", "Ana\nB"), ("2", "3 pm")]),
            ValueError::LineBreak {
                part: Part::Body,
                key: "1".into(),
            },
        ),
        (
            values(&[("1", "Ana\tB"), ("2", "3 pm")]),
            ValueError::LineBreak {
                part: Part::Body,
                key: "1".into(),
            },
        ),
        (
            values(&[("1", "Ana     B"), ("2", "3 pm")]),
            ValueError::TooManySpaces {
                part: Part::Body,
                key: "1".into(),
            },
        ),
        (
            values(&[("1", "Ana"), ("2", "3 pm"), ("3", "x")]),
            ValueError::Unexpected {
                part: Part::Body,
                key: "3".into(),
            },
        ),
    ];
    for (vals, want) in cases {
        assert_eq!(t.validate(&vals), Err(vec![want.clone()]), "{want:?}");
    }
    // Four spaces in a row are allowed, five are not.
    assert_eq!(
        t.validate(&values(&[("1", "Ana    B"), ("2", "3 pm")])),
        Ok(())
    );
    let long = "x".repeat(MAX_BODY_CHARS);
    assert!(matches!(
        t.validate(&values(&[("1", &long), ("2", "3 pm")]))
            .unwrap_err()[..],
        [ValueError::TooLong { .. }]
    ));
}

#[test]
fn send_components_carry_the_values_in_order_with_names_for_named_templates() {
    let t = template("Hi {{1}}, see you at {{2}}.");
    let c = t
        .send_components(&values(&[("2", "3 pm"), ("1", "Ana")]))
        .unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].kind, "body");
    let texts: Vec<_> = c[0].parameters.iter().filter_map(|p| p.text()).collect();
    assert_eq!(texts, ["Ana", "3 pm"]);
    assert!(c[0].parameters.iter().all(|p| matches!(
        p,
        SendParameter::Text {
            parameter_name: None,
            ..
        }
    )));

    let named = Template::from_components(
        "t",
        "en_US",
        TemplateStatus::Approved,
        TemplateCategory::Utility,
        ParameterFormat::Named,
        body("Hi {{first_name}}"),
    )
    .unwrap();
    let c = named
        .send_components(&values(&[("first_name", "Ana")]))
        .unwrap();
    assert!(matches!(
        &c[0].parameters[0],
        SendParameter::Text { parameter_name: Some(n), .. } if n == "first_name"
    ));
}

#[test]
fn opt_in_is_filled_with_first_name_and_business() {
    let t = template("Hi {{1}}, this is {{2}}. Reply YES.");
    let v = opt_in_values(&t, "Ana", "Northwind Motors").unwrap();
    assert_eq!(
        t.preview(&v),
        "Hi Ana, this is Northwind Motors. Reply YES."
    );
    let odd = template("Hi {{1}}, {{2}}, {{3}}");
    assert_eq!(
        opt_in_values(&odd, "Ana", "N"),
        Err(TemplateError::OptInVariable("3".into()))
    );
}

mod media_and_buttons;

proptest! {
    /// A template with n variables needs exactly n values: n pass, any fewer or more fail.
    #[test]
    fn a_template_with_n_variables_needs_exactly_n_values(n in 0u32..12, given in 0u32..14, filler in "[a-zA-Z0-9 ]{1,8}") {
        let text: String = (1..=n).map(|i| format!("part {{{{{i}}}}} ")).collect::<String>() + "end";
        let t = template(&text);
        prop_assert_eq!(t.slots().len(), n as usize);
        let filler = format!("v{filler}");
        let vals: TemplateValues = (1..=given).map(|i| ((Part::Body, i.to_string()), filler.clone())).collect();
        prop_assert_eq!(t.validate(&vals).is_ok(), given == n);
    }

    /// Variable names that follow the rules are always found, each once.
    #[test]
    fn named_variables_are_found_once(names in proptest::collection::vec("[a-z][a-z0-9_]{0,10}", 1..6)) {
        let text = names.iter().map(|n| format!("{{{{{n}}}}}")).collect::<Vec<_>>().join(" and ");
        let found = variables_in(&text).unwrap();
        let mut unique = names.clone();
        unique.dedup();
        let mut seen = Vec::new();
        for n in &names { if !seen.contains(n) { seen.push(n.clone()); } }
        prop_assert_eq!(found, seen.into_iter().map(Variable::Named).collect::<Vec<_>>());
    }

    /// Filling never touches the fixed text (a blank value leaves the placeholder shown).
    #[test]
    fn filling_keeps_the_fixed_text(prefix in "[^{}]{0,20}", value in "[^{}\\s][^{}]{0,19}") {
        let t = template(&format!("{prefix}{{{{1}}}}!"));
        prop_assert_eq!(t.preview(&values(&[("1", &value)])), format!("{prefix}{value}!"));
    }
}
