//! The double's GraphQL front end, on Shopify's published Admin schema of
//! the version served (apollo-compiler): the document is validated (fields,
//! arguments, selections, fragments, variables' use), the variables are
//! coerced to the operation's types (required, enums, unknown input fields,
//! lists and scalars), then `inputs` checks what coercion leaves to the
//! server (Shopify's custom scalars, `@oneOf`) and finds deprecated inputs.
//! A failure is a Shopify-style top-level error. A valid request is executed
//! by apollo-compiler over the resolvers' JSON values, which the schema's
//! result coercion cuts down to the selection (aliases, fragments,
//! `__typename`); a union's value names its member in `__typename`.

#[path = "shopify_double_inputs.rs"]
mod inputs;

use apollo_compiler::executable::{Operation, OperationType};
use apollo_compiler::resolvers::{Execution, FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::{GraphQLError, JsonMap};
use apollo_compiler::schema::{ExtendedType, Type};
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Node, Schema};
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A request that holds against the schema, ready to run.
pub(super) struct Checked {
    schema: Arc<Valid<Schema>>,
    document: Arc<Valid<ExecutableDocument>>,
    operation: Node<Operation>,
    variables: Valid<JsonMap>,
    pub(super) mutation: bool,
    /// Root field names (`__typename` left out), in order.
    pub(super) root_fields: Vec<String>,
    /// `mutation discountCodeBasicCreate`
    pub(super) label: String,
    /// Deprecated arguments, input fields, enum values and fields it uses.
    pub(super) deprecated: Vec<String>,
}

/// Why a request is refused: the top-level errors, and a label for it.
pub(super) type Refusal = (Vec<Value>, String);

fn error(message: impl Into<String>) -> Value {
    json!({"message": message.into(), "locations": [{"line": 1, "column": 1}]})
}

fn graphql_error(error: &GraphQLError) -> Value {
    serde_json::to_value(error).unwrap_or_else(|_| self::error(error.message.clone()))
}

/// The document checked against one version's schema, once per process.
fn document(
    schema: &Arc<Valid<Schema>>,
    version: &str,
    query: &str,
) -> Result<Arc<Valid<ExecutableDocument>>, Vec<Value>> {
    type Cache = Mutex<HashMap<(String, String), Result<Arc<Valid<ExecutableDocument>>, Vec<Value>>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Cache::default);
    let key = (version.to_string(), query.to_string());
    if let Some(checked) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return checked.clone();
    }
    let checked = ExecutableDocument::parse_and_validate(schema, query, "request.graphql")
        .map(Arc::new)
        .map_err(|invalid| invalid.errors.iter().map(|d| graphql_error(&d.to_json())).collect());
    cache.lock().unwrap_or_else(|p| p.into_inner()).insert(key, checked.clone());
    checked
}

/// Validates the document and coerces the variables: the request as it
/// will run, or the errors Shopify answers instead.
pub(super) fn check(
    schema: Arc<Valid<Schema>>,
    version: &str,
    query: &str,
    variables: &Map<String, Value>,
    operation: Option<&str>,
) -> Result<Checked, Refusal> {
    let document = document(&schema, version, query).map_err(|errors| (errors, "invalid document".to_string()))?;
    let chosen = document
        .operations
        .get(operation)
        .map_err(|e| (vec![error(e.message().to_string())], "no operation".into()))?;
    let label = format!("{} {}", chosen.operation_type, chosen.name.as_ref().map_or("(anonymous)", |n| n.as_str()));
    let variables = coerce(&schema, chosen, variables).map_err(|errors| (errors, label.clone()))?;
    let found = inputs::check(&schema, &document, chosen, &variables);
    if !found.problems.is_empty() {
        return Err((found.problems.into_iter().map(error).collect(), label));
    }
    let root_fields =
        chosen.root_fields(&document).map(|f| f.name.to_string()).filter(|name| name != "__typename").collect();
    Ok(Checked {
        mutation: chosen.operation_type == OperationType::Mutation,
        operation: chosen.clone(),
        schema,
        document: document.clone(),
        variables,
        root_fields,
        label,
        deprecated: found.deprecated,
    })
}

/// apollo-compiler's variable coercion, one variable at a time so that the
/// error names it as Shopify does.
fn coerce(
    schema: &Valid<Schema>,
    operation: &Node<Operation>,
    given: &Map<String, Value>,
) -> Result<Valid<JsonMap>, Vec<Value>> {
    let given: JsonMap = match serde_json::from_value(Value::Object(given.clone())) {
        Ok(map) => map,
        Err(e) => return Err(vec![error(format!("Variables are not a JSON object: {e}"))]),
    };
    let errors: Vec<Value> = operation
        .variables
        .iter()
        .filter_map(|definition| {
            let mut one = (**operation).clone();
            one.variables.retain(|v| v.name == definition.name);
            let problem = apollo_compiler::request::coerce_variable_values(schema, &one, &given).err()?;
            let message = format!(
                "Variable ${} of type {} was provided invalid value ({})",
                definition.name,
                definition.ty,
                problem.message()
            );
            Some(error(message))
        })
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    apollo_compiler::request::coerce_variable_values(schema, operation, &given)
        .map_err(|e| vec![error(e.message().to_string())])
}

impl Checked {
    /// Runs the operation; `resolve` answers each root field from its name
    /// and coerced arguments. The answer's `data` and `errors` (an error
    /// here means the double's own value does not fit the schema).
    pub(super) fn execute(&self, resolve: &mut Resolver<'_>) -> (Value, Vec<Value>) {
        let root = Root { name: self.operation.object_type().to_string(), resolve: RefCell::new(resolve) };
        let execution = Execution::new(&self.schema, &self.document)
            .operation(&self.operation)
            .coerced_variable_values(&self.variables);
        match execution.execute_sync(&root) {
            Ok(response) => {
                let data = serde_json::to_value(&response.data).unwrap_or(Value::Null);
                (data, response.errors.iter().map(graphql_error).collect())
            }
            Err(e) => (Value::Null, vec![error(e.message().to_string())]),
        }
    }
}

/// Answers a root field from its name and coerced arguments.
pub(super) type Resolver<'r> = dyn FnMut(&str, &Value) -> Value + 'r;

/// The root object: each field is answered by the resolvers.
struct Root<'r> {
    name: String,
    resolve: RefCell<&'r mut Resolver<'r>>,
}

impl ObjectValue for Root<'_> {
    fn type_name(&self) -> &str {
        &self.name
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Result<ResolvedValue<'a>, FieldError> {
        let args = serde_json::to_value(info.arguments()).unwrap_or(Value::Null);
        let mut resolve = self.resolve.borrow_mut();
        let value = (*resolve)(info.field_name(), &args);
        resolved(value, &info.field_definition().ty, info.schema())
    }
}

/// A resolver's JSON value as an object of its (or its `__typename`'s) type.
struct JsonObject {
    name: String,
    fields: Map<String, Value>,
}

impl ObjectValue for JsonObject {
    fn type_name(&self) -> &str {
        &self.name
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Result<ResolvedValue<'a>, FieldError> {
        let value = self.fields.get(info.field_name()).cloned().unwrap_or(Value::Null);
        resolved(value, &info.field_definition().ty, info.schema())
    }
}

/// A JSON value as the resolved value of a field of type `ty`.
fn resolved<'a>(value: Value, ty: &Type, schema: &Schema) -> Result<ResolvedValue<'a>, FieldError> {
    match (value, ty) {
        (Value::Null, _) => Ok(ResolvedValue::null()),
        (Value::Array(items), Type::List(inner) | Type::NonNullList(inner)) => {
            let items = items.into_iter().map(|item| resolved(item, inner, schema)).collect::<Result<Vec<_>, _>>()?;
            Ok(ResolvedValue::list(items))
        }
        (Value::Object(fields), Type::Named(name) | Type::NonNullNamed(name)) => {
            let name = match schema.types.get(name) {
                Some(ExtendedType::Object(_)) => name.to_string(),
                Some(ExtendedType::Interface(_) | ExtendedType::Union(_)) => {
                    let typename = fields.get("__typename").and_then(Value::as_str);
                    let message = format!("the double's {name} value names no __typename");
                    typename.ok_or(FieldError { message })?.to_string()
                }
                _ => return Ok(ResolvedValue::leaf(apollo_compiler::response::JsonValue::from(Value::Object(fields)))),
            };
            Ok(ResolvedValue::object(JsonObject { name, fields }))
        }
        (value, _) => Ok(ResolvedValue::leaf(apollo_compiler::response::JsonValue::from(value))),
    }
}
