//! The double's GraphQL front end: `graphql-parser` reads the query and
//! the schema below. Before anything runs, the operation is checked against
//! the schema (fields exist, objects get selections and scalars none, union
//! members are selected through fragments) and the arguments are coerced as
//! Shopify's executor does; the first problem is a top-level error. Answers
//! are the resolvers' values cut down to the selection (aliases,
//! `__typename`, inline and named fragments); a union's value names its
//! member in `__typename`.

use graphql_parser::query::{Definition, Document, Field, OperationDefinition as Op, Selection, SelectionSet};
use graphql_parser::query::{Type, TypeCondition, Value as Literal, VariableDefinition};
use graphql_parser::schema::{self, TypeDefinition};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

/// The part of the Admin API 2025-01 schema the double serves.
const SCHEMA: &str = include_str!("shopify_double_schema.graphql");

type Doc<'a> = Document<'a, &'a str>;
type Set<'a> = SelectionSet<'a, &'a str>;
type Fragments<'a> = HashMap<&'a str, (&'a str, &'a Set<'a>)>;
type SchemaType = schema::Type<'static, &'static str>;
type SchemaField = schema::Field<'static, &'static str>;

pub(super) struct Plan<'a> {
    pub(super) mutation: bool,
    pub(super) fields: Vec<RootField<'a>>,
    fragments: Fragments<'a>,
}

pub(super) struct RootField<'a> {
    /// The alias, or the name.
    pub(super) key: &'a str,
    pub(super) name: &'a str,
    /// The coerced arguments, as an object.
    pub(super) args: Value,
    selection: &'a Set<'a>,
    /// The (named) type it answers.
    answers: &'static str,
}

impl<'a> Plan<'a> {
    /// A root field's value cut down to its selection.
    pub(super) fn select(&self, field: &RootField<'a>, value: &Value) -> Value {
        project(value, field.selection, &self.fragments, field.answers)
    }
}

fn error(message: impl Into<String>) -> Value {
    json!({"message": message.into(), "locations": [{"line": 1, "column": 1}]})
}

pub(super) fn parse(query: &str) -> Result<Doc<'_>, Value> {
    graphql_parser::parse_query(query).map_err(|e| error(format!("syntax error, {e}")))
}

fn schema_type(name: &str) -> Option<&'static TypeDefinition<'static, &'static str>> {
    static TYPES: OnceLock<HashMap<&'static str, TypeDefinition<'static, &'static str>>> = OnceLock::new();
    let types = TYPES.get_or_init(|| {
        let document = schema::parse_schema::<&'static str>(SCHEMA).expect("the double's schema parses");
        let named = |definition| {
            let schema::Definition::TypeDefinition(t) = definition else { return None };
            let name = match &t {
                TypeDefinition::Object(o) => o.name,
                TypeDefinition::InputObject(i) => i.name,
                TypeDefinition::Enum(e) => e.name,
                TypeDefinition::Union(u) => u.name,
                TypeDefinition::Scalar(s) => s.name,
                TypeDefinition::Interface(i) => i.name,
            };
            Some((name, t))
        };
        document.definitions.into_iter().filter_map(named).collect()
    });
    types.get(name)
}

/// A field of an object type, and the named type it answers.
fn output_field(object: &str, name: &str) -> Option<(&'static SchemaField, &'static str)> {
    let Some(TypeDefinition::Object(object)) = schema_type(object) else { return None };
    let field = object.fields.iter().find(|f| f.name == name)?;
    Some((field, named(&field.field_type)))
}

fn named(ty: &'static SchemaType) -> &'static str {
    match ty {
        schema::Type::NamedType(name) => name,
        schema::Type::ListType(inner) | schema::Type::NonNullType(inner) => named(inner),
    }
}

type Operation<'a> = (&'static str, Option<&'a str>, &'a [VariableDefinition<'a, &'a str>], &'a Set<'a>);

/// Picks the operation, checks its variables and selection, and coerces the
/// root fields' arguments: nothing runs unless all of it holds.
pub(super) fn plan<'a>(
    document: &'a Doc<'a>,
    wanted: Option<&str>,
    variables: &Map<String, Value>,
    version: &str,
) -> Result<Plan<'a>, Value> {
    let (mut fragments, mut operations) = (HashMap::new(), Vec::<Operation>::new());
    for definition in &document.definitions {
        operations.push(match definition {
            Definition::Fragment(f) => {
                fragments.insert(f.name, (condition(&f.type_condition), &f.selection_set));
                continue;
            }
            Definition::Operation(Op::SelectionSet(s)) => ("QueryRoot", None, &[], s),
            Definition::Operation(Op::Query(q)) => ("QueryRoot", q.name, &q.variable_definitions, &q.selection_set),
            Definition::Operation(Op::Mutation(m)) => ("Mutation", m.name, &m.variable_definitions, &m.selection_set),
            Definition::Operation(Op::Subscription(s)) => {
                ("Subscription", s.name, &s.variable_definitions, &s.selection_set)
            }
        });
    }
    let operation = match wanted {
        Some(name) => operations.into_iter().find(|o| o.1 == Some(name)),
        None if operations.len() == 1 => operations.pop(),
        None => None,
    };
    let missing =
        || error(wanted.map_or("An operation name is required".into(), |n| format!("No operation named \"{n}\"")));
    let (root, name, definitions, selection) = operation.ok_or_else(missing)?;
    let values = variable_values(definitions, variables)?;
    check(selection, &fragments, root).map_err(error)?;
    let operation = name.unwrap_or("anonymous query");
    let fields = fields_of(selection, &fragments, root, Some(root)).map_err(error)?.into_iter();
    let fields = fields.map(|(field, _)| root_field(field, root, &values, version, operation));
    Ok(Plan { mutation: root == "Mutation", fields: fields.collect::<Result<_, _>>()?, fragments })
}

/// Declared non-null variables must be given; defaults apply.
fn variable_values<'a>(
    definitions: &'a [VariableDefinition<'a, &'a str>],
    given: &Map<String, Value>,
) -> Result<HashMap<&'a str, Value>, Value> {
    let mut values = HashMap::new();
    for definition in definitions {
        let default = || definition.default_value.as_ref().and_then(|d| literal_json(d, &HashMap::new()).ok());
        let value = given.get(definition.name).filter(|v| !v.is_null()).cloned().or_else(default);
        if value.is_none() && matches!(definition.var_type, Type::NonNullType(_)) {
            return Err(json!({
                "message": format!("Variable ${} of type {} was provided invalid value", definition.name, definition.var_type),
                "extensions": {"value": null, "problems": [{"path": [], "explanation": "Expected value to not be null"}]}
            }));
        }
        values.insert(definition.name, value.unwrap_or(Value::Null));
    }
    Ok(values)
}

fn condition<'a>(condition: &TypeCondition<'a, &'a str>) -> &'a str {
    let TypeCondition::On(name) = condition;
    name
}

/// The fields a selection picks on type `on`, each with the type it is
/// selected on: fragments are expanded when they apply to `only` (all of
/// them when None).
fn fields_of<'a: 'b, 'b>(
    selection: &'a Set<'a>,
    fragments: &Fragments<'a>,
    on: &'b str,
    only: Option<&str>,
) -> Result<Vec<(&'a Field<'a, &'a str>, &'b str)>, String> {
    let mut fields = Vec::new();
    for item in &selection.items {
        let (condition, inner) = match item {
            Selection::Field(field) => {
                fields.push((field, on));
                continue;
            }
            Selection::InlineFragment(inline) => (inline.type_condition.as_ref().map(condition), &inline.selection_set),
            Selection::FragmentSpread(spread) => match fragments.get(spread.fragment_name) {
                Some((on, inner)) => (Some(*on), *inner),
                None => return Err(format!("Fragment {} was used, but not defined", spread.fragment_name)),
            },
        };
        if only.is_none_or(|only| condition.is_none_or(|condition| condition == only)) {
            fields.extend(fields_of(inner, fragments, condition.unwrap_or(on), only)?);
        }
    }
    Ok(fields)
}

/// The selection holds on this type: its fields exist, objects get
/// selections and scalars none, a union's members are selected through
/// fragments, and every fragment spread is defined.
fn check<'a>(selection: &'a Set<'a>, fragments: &Fragments<'a>, on: &str) -> Result<(), String> {
    for (field, on) in fields_of(selection, fragments, on, None)? {
        let name = field.name;
        if name == "__typename" {
            continue;
        } else if let Some(TypeDefinition::Union(_)) = schema_type(on) {
            return Err(format!("Selections can't be made directly on unions (see selections on {on})"));
        }
        let (_, answers) =
            output_field(on, name).ok_or_else(|| format!("Field '{name}' doesn't exist on type '{on}'"))?;
        let composite = matches!(schema_type(answers), Some(TypeDefinition::Object(_) | TypeDefinition::Union(_)));
        match (composite, field.selection_set.items.is_empty()) {
            (true, true) => {
                return Err(format!(
                    "Field must have selections (field '{name}' returns an object but has no selections.)"
                ))
            }
            (false, false) => return Err(format!("Selections can't be made on scalars (field '{name}')")),
            (true, false) => check(&field.selection_set, fragments, answers)?,
            (false, true) => {}
        }
    }
    Ok(())
}

/// One root field (checked): its arguments are known, given when required
/// and coerced to their types.
fn root_field<'a>(
    field: &'a Field<'a, &'a str>,
    root: &str,
    values: &HashMap<&str, Value>,
    version: &str,
    operation: &str,
) -> Result<RootField<'a>, Value> {
    let key = field.alias.unwrap_or(field.name);
    let planned = |args, answers| RootField { key, name: field.name, args, selection: &field.selection_set, answers };
    let Some((spec, answers)) = output_field(root, field.name) else { return Ok(planned(json!({}), "String")) };
    let mut args = Map::new();
    for (name, literal) in &field.arguments {
        let Some(arg) = spec.arguments.iter().find(|a| a.name == *name) else {
            return Err(error(format!("Field '{}' doesn't accept argument '{name}'", field.name)));
        };
        let value = literal_json(literal, values)
            .map_err(|undeclared| error(format!("Variable ${undeclared} is used by {operation} but not declared")))?;
        let coerced = coerce(&value, &arg.value_type, version, &mut Vec::new());
        args.insert(
            name.to_string(),
            coerced.map_err(|problem| coercion_error(field, name, literal, &arg.value_type, value, problem))?,
        );
    }
    let required = spec.arguments.iter().filter(|a| matches!(a.value_type, schema::Type::NonNullType(_)));
    let missing: Vec<&str> = required.filter(|a| !args.contains_key(a.name)).map(|a| a.name).collect();
    if !missing.is_empty() {
        return Err(error(format!("Field '{}' is missing required arguments: {}", field.name, missing.join(", "))));
    }
    Ok(planned(Value::Object(args), answers))
}

fn coercion_error<'a>(
    field: &Field<'a, &'a str>,
    argument: &str,
    literal: &Literal<'a, &'a str>,
    ty: &SchemaType,
    value: Value,
    (path, explanation): CoerceError,
) -> Value {
    let message = match literal {
        Literal::Variable(v) if path.is_empty() => format!("Variable ${v} of type {ty} was provided invalid value"),
        Literal::Variable(v) => {
            format!("Variable ${v} of type {ty} was provided invalid value for {} ({explanation})", path.join("."))
        }
        _ => format!("Argument '{argument}' on Field '{}' has an invalid value ({explanation})", field.name),
    };
    json!({"message": message, "locations": [{"line": 1, "column": 1}],
           "extensions": {"value": value, "problems": [{"path": path, "explanation": explanation}]}})
}

/// Literal → JSON; `Err(name)` for an undeclared variable.
fn literal_json<'a>(literal: &Literal<'a, &'a str>, variables: &HashMap<&str, Value>) -> Result<Value, String> {
    Ok(match literal {
        Literal::Variable(name) => variables.get(name).cloned().ok_or_else(|| name.to_string())?,
        Literal::Null => Value::Null,
        Literal::Boolean(b) => json!(b),
        Literal::Int(i) => json!(i.as_i64()),
        Literal::Float(f) => json!(f),
        Literal::String(s) => json!(s),
        Literal::Enum(s) => json!(s),
        Literal::List(items) => items.iter().map(|i| literal_json(i, variables)).collect::<Result<_, _>>()?,
        Literal::Object(fields) => {
            let field = |(key, value): (&&str, _)| Ok((key.to_string(), literal_json(value, variables)?));
            Value::Object(fields.iter().map(field).collect::<Result<_, String>>()?)
        }
    })
}

/// Where in the input the value is wrong, and why.
type CoerceError = (Vec<String>, String);

/// Coerces a JSON value to an input type, as Shopify's executor does.
fn coerce(value: &Value, ty: &SchemaType, version: &str, path: &mut Vec<String>) -> Result<Value, CoerceError> {
    match ty {
        schema::Type::NonNullType(_) if value.is_null() => Err((path.clone(), "Expected value to not be null".into())),
        schema::Type::NonNullType(inner) => coerce(value, inner, version, path),
        _ if value.is_null() => Ok(Value::Null),
        schema::Type::ListType(inner) => {
            let items = value.as_array().cloned().unwrap_or_else(|| vec![value.clone()]);
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                out.push(coerce(item, inner, version, path)?);
                path.pop();
            }
            Ok(Value::Array(out))
        }
        schema::Type::NamedType(name) => coerce_named(value, name, version, path),
    }
}

fn coerce_named(value: &Value, name: &str, version: &str, path: &mut Vec<String>) -> Result<Value, CoerceError> {
    let fail = |path: &Vec<String>, why: String| Err((path.clone(), why));
    match schema_type(name) {
        Some(TypeDefinition::Enum(choices)) => {
            let names: Vec<&str> = choices.values.iter().map(|v| v.name).collect();
            match value.as_str() {
                Some(given) if names.contains(&given) => Ok(value.clone()),
                _ => fail(path, format!("Expected {value} to be one of: {}", names.join(", "))),
            }
        }
        Some(TypeDefinition::InputObject(object)) => {
            let Value::Object(given) = value else {
                return fail(path, format!("Expected {value} to be a key-value object"));
            };
            let mut out = Map::new();
            for (key, item) in given {
                path.push(key.clone());
                let Some(field) = object.fields.iter().find(|f| f.name == key && added_by(f, version)) else {
                    return fail(path, format!("Field is not defined on {}", object.name));
                };
                out.insert(key.clone(), coerce(item, &field.value_type, version, path)?);
                path.pop();
            }
            Ok(Value::Object(out))
        }
        _ => coerce_scalar(value, name)
            .map_or_else(|| fail(path, format!("Could not coerce value {value} to {name}")), Ok),
    }
}

/// Whether the API version has this input field (`@since`).
fn added_by(field: &schema::InputValue<'static, &'static str>, version: &str) -> bool {
    let since = field.directives.iter().filter(|d| d.name == "since").flat_map(|d| &d.arguments);
    since.into_iter().all(|(_, v)| matches!(v, schema::Value::String(since) if version >= since.as_str()))
}

fn coerce_scalar(value: &Value, name: &str) -> Option<Value> {
    let text = value.as_str();
    let fits = match name {
        "Any" => true,
        "String" => text.is_some(),
        "ID" => text.is_some() || value.is_i64(),
        "Boolean" => value.is_boolean(),
        "Int" => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        "Float" => value.is_number(),
        "Decimal" => value.is_number() || text.is_some_and(|s| s.trim().parse::<f64>().is_ok_and(f64::is_finite)),
        "DateTime" => text.is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok()),
        "URL" => text.is_some_and(|s| s.starts_with("https://") || s.starts_with("http://")),
        _ => false,
    };
    // IDs and decimals given as numbers are read as their text.
    let as_text = matches!(name, "ID" | "Decimal") && value.is_number();
    fits.then(|| if as_text { json!(value.to_string()) } else { value.clone() })
}

/// A resolved value cut down to a checked selection on its type.
fn project<'a>(value: &Value, selection: &'a Set<'a>, fragments: &Fragments<'a>, ty: &str) -> Value {
    let object = match value {
        Value::Array(items) => return items.iter().map(|item| project(item, selection, fragments, ty)).collect(),
        Value::Object(object) => object,
        other => return other.clone(),
    };
    let typename = object.get("__typename").and_then(Value::as_str).unwrap_or(ty);
    let mut out = Map::new();
    for (field, _) in fields_of(selection, fragments, typename, Some(typename)).unwrap_or_default() {
        let value = match output_field(typename, field.name) {
            Some((_, answers)) => {
                project(object.get(field.name).unwrap_or(&Value::Null), &field.selection_set, fragments, answers)
            }
            None => json!(typename),
        };
        out.insert(field.alias.unwrap_or(field.name).to_string(), value);
    }
    Value::Object(out)
}
