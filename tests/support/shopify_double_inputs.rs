//! What apollo-compiler's variable coercion leaves to the server, checked as
//! Shopify does: its custom scalars (DateTime, Decimal, URL, …) and `@oneOf`
//! input objects (exactly one field, not null). And what Shopify still
//! accepts but has deprecated (`@deprecated` in the published schema):
//! arguments, input fields and enum values given, fields selected. Literal
//! arguments in the document are checked like variables.

use apollo_compiler::ast::{DirectiveList, Value as Literal};
use apollo_compiler::executable::{Operation, Selection, SelectionSet};
use apollo_compiler::response::JsonMap;
use apollo_compiler::schema::{ExtendedType, Type};
use apollo_compiler::{ExecutableDocument, Node, Schema};
use serde_json::{json, Map, Value};
use std::collections::HashSet;

#[derive(Default)]
pub(super) struct Found {
    /// Top-level error messages.
    pub(super) problems: Vec<String>,
    pub(super) deprecated: Vec<String>,
}

struct Walk<'s> {
    schema: &'s Schema,
    /// (path inside the value, why)
    problems: Vec<(String, String)>,
    deprecated: Vec<String>,
}

pub(super) fn check(
    schema: &Schema,
    document: &ExecutableDocument,
    operation: &Operation,
    variables: &JsonMap,
) -> Found {
    let variables = match serde_json::to_value(variables) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let mut walk = Walk { schema, problems: Vec::new(), deprecated: Vec::new() };
    let mut found = Found { problems: walk.variables(operation, &variables), deprecated: Vec::new() };
    let mut seen = HashSet::new();
    visit(&operation.selection_set, document, &mut seen, &mut |field| {
        deprecation(&field.definition.directives, &format!("field {}", field.definition.name), &mut walk.deprecated);
        for argument in &field.arguments {
            let Some(definition) = field.definition.argument_by_name(&argument.name) else { continue };
            let at = format!("argument {}({}:)", field.name, argument.name);
            deprecation(&definition.directives, &at, &mut walk.deprecated);
            if matches!(*argument.value, Literal::Variable(_)) {
                continue; // checked with the variables
            }
            walk.input(&literal(&argument.value, &variables), &definition.ty, &at);
            for (_, why) in walk.problems.drain(..) {
                let message =
                    format!("Argument '{}' on Field '{}' has an invalid value ({why})", argument.name, field.name);
                found.problems.push(message);
            }
        }
    });
    let mut unique = HashSet::new();
    found.deprecated = walk.deprecated.into_iter().filter(|d| unique.insert(d.clone())).collect();
    found
}

impl Walk<'_> {
    /// The operation's coerced variables: the problems, as Shopify words them.
    fn variables(&mut self, operation: &Operation, variables: &Map<String, Value>) -> Vec<String> {
        let mut problems = Vec::new();
        for definition in &operation.variables {
            let Some(value) = variables.get(definition.name.as_str()) else { continue };
            self.input(value, &definition.ty, &format!("${}", definition.name));
            for (path, why) in self.problems.drain(..) {
                let at = path.split_once('.').map_or(String::new(), |(_, inside)| format!(" for {inside}"));
                let (name, ty) = (&definition.name, &definition.ty);
                problems.push(format!("Variable ${name} of type {ty} was provided invalid value{at} ({why})"));
            }
        }
        problems
    }
}

/// Every field of a selection, through fragments (each named one once).
fn visit<'d>(
    selection: &'d SelectionSet,
    document: &'d ExecutableDocument,
    seen: &mut HashSet<&'d str>,
    each: &mut dyn FnMut(&'d apollo_compiler::executable::Field),
) {
    for item in &selection.selections {
        match item {
            Selection::Field(field) => {
                each(field);
                visit(&field.selection_set, document, seen, each);
            }
            Selection::InlineFragment(inline) => visit(&inline.selection_set, document, seen, each),
            Selection::FragmentSpread(spread) => {
                let Some(fragment) = spread.fragment_def(document) else { continue };
                if seen.insert(fragment.name.as_str()) {
                    visit(&fragment.selection_set, document, seen, each);
                }
            }
        }
    }
}

/// Records `@deprecated` on a schema element, with its reason.
fn deprecation(directives: &DirectiveList, what: &str, out: &mut Vec<String>) {
    if let Some(deprecated) = directives.get("deprecated") {
        let reason = deprecated.specified_argument_by_name("reason").and_then(|r| r.as_str().map(str::to_string));
        out.push(format!("{what} is deprecated: {}", reason.unwrap_or_else(|| "no reason given".into())));
    }
}

/// A literal argument as JSON, its variables replaced by their values.
fn literal(value: &Node<Literal>, variables: &Map<String, Value>) -> Value {
    match &**value {
        Literal::Null => Value::Null,
        Literal::Enum(name) => json!(name.as_str()),
        Literal::Variable(name) => variables.get(name.as_str()).cloned().unwrap_or(Value::Null),
        Literal::String(text) => json!(text),
        Literal::Float(f) => f.try_to_f64().map_or(Value::Null, |f| json!(f)),
        Literal::Int(i) => i.as_str().parse::<i64>().map_or_else(|_| json!(i.as_str()), |i| json!(i)),
        Literal::Boolean(b) => json!(b),
        Literal::List(items) => items.iter().map(|item| literal(item, variables)).collect(),
        Literal::Object(fields) => {
            Value::Object(fields.iter().map(|(k, v)| (k.to_string(), literal(v, variables))).collect())
        }
    }
}

impl Walk<'_> {
    /// A coerced input value of type `ty`, found at `path`.
    fn input(&mut self, value: &Value, ty: &Type, path: &str) {
        match (value, ty) {
            (Value::Null, _) => {}
            (Value::Array(items), Type::List(inner) | Type::NonNullList(inner)) => {
                for (i, item) in items.iter().enumerate() {
                    self.input(item, inner, &format!("{path}.{i}"));
                }
            }
            (_, Type::List(inner) | Type::NonNullList(inner)) => self.input(value, inner, path),
            (_, Type::Named(name) | Type::NonNullNamed(name)) => self.named(value, name, path),
        }
    }

    fn named(&mut self, value: &Value, name: &str, path: &str) {
        match self.schema.types.get(name) {
            Some(ExtendedType::InputObject(object)) => {
                let Value::Object(given) = value else { return };
                if object.directives.get("oneOf").is_some() {
                    let set = given.values().filter(|v| !v.is_null()).count();
                    if given.len() != 1 || set != 1 {
                        let keys: Vec<&String> = given.keys().collect();
                        let why = format!("{name} is @oneOf: exactly one field must be given, not null; got {keys:?}");
                        self.problems.push((path.to_string(), why));
                    }
                }
                for (key, item) in given {
                    let Some(field) = object.fields.get(key.as_str()) else { continue };
                    let at = format!("{path}.{key}");
                    deprecation(
                        &field.directives,
                        &format!("input field {name}.{key} (at {at})"),
                        &mut self.deprecated,
                    );
                    self.input(item, &field.ty, &at);
                }
            }
            Some(ExtendedType::Enum(choices)) => {
                let Some(chosen) = value.as_str().and_then(|v| choices.values.get(v)) else { return };
                deprecation(
                    &chosen.directives,
                    &format!("enum value {name}.{} (at {path})", chosen.value),
                    &mut self.deprecated,
                );
            }
            Some(ExtendedType::Scalar(_)) => {
                if let Err(why) = scalar(name, value) {
                    self.problems.push((path.to_string(), why));
                }
            }
            _ => {}
        }
    }
}

/// Shopify's custom scalars as its API reference describes them (built-in
/// ones are coerced by apollo-compiler already).
fn scalar(name: &str, value: &Value) -> Result<(), String> {
    let text = value.as_str();
    let number_text = || if let Value::Number(n) = value { Some(n.to_string()) } else { None };
    let decimal = text.map(str::to_string).or_else(number_text);
    let fits = match name {
        "String" | "ID" | "Int" | "Float" | "Boolean" => true,
        "DateTime" => text.is_some_and(|t| {
            chrono::DateTime::parse_from_rfc3339(t).is_ok()
                || chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
        }),
        "Date" => text.is_some_and(|t| chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").is_ok()),
        "Decimal" | "Money" => decimal.is_some_and(|d| d.trim() == d && d.parse::<f64>().is_ok_and(f64::is_finite)),
        "UnsignedInt64" => decimal.is_some_and(|d| d.parse::<u64>().is_ok()),
        "BigInt" => decimal.is_some_and(|d| d.parse::<i128>().is_ok()),
        "URL" => text.is_some_and(|t| url::Url::parse(t).is_ok()),
        "JSON" => true,
        // String-shaped: ARN, Color, FormattedString, HTML, StorefrontID, UtcOffset, …
        _ => text.is_some(),
    };
    if fits {
        Ok(())
    } else {
        Err(format!("Could not coerce value {value} to {name}"))
    }
}
