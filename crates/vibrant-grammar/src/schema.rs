//! Tool parameter schemas compiled to the nodes the JSON automaton walks.

use serde_json::Value;

use crate::GrammarError;

/// Index of a node in [`Schema::nodes`].
pub(crate) type NodeId = u16;

/// Most properties an object may have (the automaton tracks them in a `u64`).
pub(crate) const MAX_PROPS: usize = 64;

#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// An object with exactly these properties (some required), in any order, or — when
    /// `ordered` — in the order given.
    Obj {
        props: Vec<(Vec<u8>, NodeId)>,
        required: u64,
        ordered: bool,
    },
    /// A string, optionally one of a set (`enum`).
    Str {
        choices: Option<Vec<Vec<u8>>>,
    },
    /// An integer within bounds.
    Int {
        min: Option<i64>,
        max: Option<i64>,
    },
    Bool,
    /// The arguments of whichever tool the call names (resolved while decoding).
    ToolArgs,
}

/// The call object and every tool's parameters.
#[derive(Debug, Clone)]
pub struct Schema {
    pub(crate) nodes: Vec<Node>,
    /// Tool names and the node of each tool's arguments.
    pub(crate) tools: Vec<(String, NodeId)>,
    /// `{"name": …, "arguments": …}`.
    pub(crate) call: NodeId,
    /// The call's `name` string (an enum of the tool names).
    pub(crate) names: NodeId,
}

impl Schema {
    /// Compiles tools given as OpenAI function JSON (`{"type": "function", "function": {"name",
    /// "parameters"}}`, or the bare function object).
    pub fn for_tools(tools: &[Value]) -> Result<Schema, GrammarError> {
        if tools.is_empty() {
            return Err(GrammarError::BadTool {
                index: 0,
                what: "no tools were given".to_owned(),
            });
        }
        if tools.len() > MAX_PROPS {
            return Err(GrammarError::Unsupported {
                tool: String::new(),
                what: format!("more than {MAX_PROPS} tools"),
            });
        }
        let mut s = Schema {
            nodes: Vec::new(),
            tools: Vec::new(),
            call: 0,
            names: 0,
        };
        for (index, t) in tools.iter().enumerate() {
            let f = t.get("function").unwrap_or(t);
            let name = f
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| GrammarError::BadTool {
                    index,
                    what: "no name".to_owned(),
                })?;
            if s.tools.iter().any(|(n, _)| n == name) {
                return Err(GrammarError::BadTool {
                    index,
                    what: format!("the name `{name}` is used twice"),
                });
            }
            let empty = serde_json::json!({"type": "object", "properties": {}});
            let params = f.get("parameters").unwrap_or(&empty);
            let node = s.compile(name, params)?;
            if !matches!(s.nodes[usize::from(node)], Node::Obj { .. }) {
                return Err(GrammarError::Unsupported {
                    tool: name.to_owned(),
                    what: "parameters that are not an object".to_owned(),
                });
            }
            s.tools.push((name.to_owned(), node));
        }
        let names = s.push(Node::Str {
            choices: Some(s.tools.iter().map(|(n, _)| n.as_bytes().to_vec()).collect()),
        });
        s.names = names;
        let args = s.push(Node::ToolArgs);
        s.call = s.push(Node::Obj {
            props: vec![(b"name".to_vec(), names), (b"arguments".to_vec(), args)],
            required: 0b11,
            ordered: true,
        });
        Ok(s)
    }

    /// The names of the tools, in order.
    pub fn tool_names(&self) -> impl Iterator<Item = &str> {
        self.tools.iter().map(|(n, _)| n.as_str())
    }

    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        (self.nodes.len() - 1) as NodeId
    }

    fn compile(&mut self, tool: &str, v: &Value) -> Result<NodeId, GrammarError> {
        let unsupported = |what: String| GrammarError::Unsupported {
            tool: tool.to_owned(),
            what,
        };
        for key in ["anyOf", "oneOf", "allOf", "$ref", "not", "const", "pattern"] {
            if v.get(key).is_some() {
                return Err(unsupported(format!("`{key}`")));
            }
        }
        let ty = v.get("type").and_then(Value::as_str).unwrap_or("");
        let node = match ty {
            "object" => {
                if v.get("additionalProperties").is_some_and(|a| a != false)
                    && v.get("additionalProperties").is_some_and(|a| a != true)
                {
                    return Err(unsupported("a schema for additionalProperties".to_owned()));
                }
                let empty = serde_json::Map::new();
                let props = v
                    .get("properties")
                    .and_then(Value::as_object)
                    .unwrap_or(&empty);
                if props.len() > MAX_PROPS {
                    return Err(unsupported(format!("more than {MAX_PROPS} properties")));
                }
                let required: Vec<&str> = v
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let mut compiled = Vec::new();
                let mut mask = 0u64;
                for (i, (name, schema)) in props.iter().enumerate() {
                    if name.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
                        return Err(unsupported(format!("the property name {name:?}")));
                    }
                    let id = self.compile(tool, schema)?;
                    compiled.push((name.as_bytes().to_vec(), id));
                    if required.contains(&name.as_str()) {
                        mask |= 1 << i;
                    }
                }
                if let Some(r) = required.iter().find(|r| !props.contains_key(**r)) {
                    return Err(unsupported(format!(
                        "required property `{r}` without a schema"
                    )));
                }
                Node::Obj {
                    props: compiled,
                    required: mask,
                    ordered: false,
                }
            }
            "string" => {
                let choices = match v.get("enum") {
                    None => None,
                    Some(Value::Array(items)) => {
                        let mut out = Vec::new();
                        for item in items {
                            match item.as_str() {
                                Some(s)
                                    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') =>
                                {
                                    out.push(s.as_bytes().to_vec());
                                }
                                _ => return Err(unsupported(format!("the enum value {item}"))),
                            }
                        }
                        if out.is_empty() || out.len() > MAX_PROPS {
                            return Err(unsupported("an enum of this size".to_owned()));
                        }
                        Some(out)
                    }
                    Some(other) => return Err(unsupported(format!("enum {other}"))),
                };
                Node::Str { choices }
            }
            "integer" => Node::Int {
                min: v.get("minimum").and_then(Value::as_i64),
                max: v.get("maximum").and_then(Value::as_i64),
            },
            "boolean" => Node::Bool,
            "" => return Err(unsupported("a property without a type".to_owned())),
            other => return Err(unsupported(format!("type `{other}`"))),
        };
        Ok(self.push(node))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compiles_tools_and_refuses_what_it_cannot_check() {
        let tools = vec![
            json!({"type": "function", "function": {"name": "read_file", "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string"}, "start_line": {"type": "integer", "minimum": 1}},
                "required": ["path"], "additionalProperties": false
            }}}),
        ];
        let s = Schema::for_tools(&tools).unwrap();
        assert_eq!(s.tool_names().collect::<Vec<_>>(), ["read_file"]);
        let bad = vec![
            json!({"name": "x", "parameters": {"type": "object", "properties": {"v": {"type": "number"}}}}),
        ];
        assert!(matches!(
            Schema::for_tools(&bad),
            Err(GrammarError::Unsupported { what, .. }) if what.contains("number")
        ));
        let dup = vec![json!({"name": "x"}), json!({"name": "x"})];
        assert!(matches!(
            Schema::for_tools(&dup),
            Err(GrammarError::BadTool { .. })
        ));
    }
}
