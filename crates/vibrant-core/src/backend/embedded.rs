//! The embedded engine: the model's own chat template, its real tokenizer, and one KV-cache
//! session kept across turns, so a follow-up question only prefills the tokens that changed.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use vibrant_engine::{
    Batch, ChatMessage, GenerateParams, Model, Nudge, PromptLookup, SamplerParams, Session,
    StopReason, TokenConstraint, generate_constrained,
};
use vibrant_grammar::{ToolCallConstraint, ToolMode, Vocab};

use super::toolcall::{self, CallFilter};
use super::{
    Backend, BackendError, Completion, CompletionRequest, FinishReason, Sampling, ToolChoice,
    Usage, tool_name,
};
use crate::message::{Message, Role, ToolCall};

/// Vibrant's own engine, in-process.
pub struct EmbeddedBackend {
    model: Arc<Model>,
    session: Session,
    name: String,
    /// Numbers the ids of tool calls (`call_1`, …).
    call_counter: u64,
    /// The vocabulary prepared for constrained tool calls (built on first use, ~0.2 s).
    vocab: Option<Arc<Vocab>>,
    /// Speculative decoding by prompt lookup (`engine.lookup_draft`); `None` is off.
    lookup: Option<PromptLookup>,
}

impl EmbeddedBackend {
    /// A backend for a loaded model with a context window of `n_ctx` tokens (capped by what the
    /// model was trained for).
    pub fn new(model: Arc<Model>, n_ctx: usize, name: impl Into<String>) -> Self {
        let trained = model.config().n_ctx_train;
        let n_ctx = if trained > 0 {
            n_ctx.min(trained)
        } else {
            n_ctx
        }
        .max(16);
        let session = model.session(n_ctx);
        Self {
            model,
            session,
            name: name.into(),
            call_counter: 0,
            vocab: None,
            lookup: Some(PromptLookup::default()),
        }
    }

    /// Speculative decoding with drafts of at most `max_draft` tokens looked up in the prompt
    /// and the answer (0 turns it off). The answers are the same either way.
    pub fn with_lookup_draft(mut self, max_draft: usize) -> Self {
        self.lookup = (max_draft > 0).then(|| PromptLookup {
            max_draft,
            ..PromptLookup::default()
        });
        self
    }

    /// Loads the model at `path` with `threads` workers.
    pub fn load(path: &Path, threads: usize, n_ctx: usize) -> Result<Self, BackendError> {
        let model = Model::load(
            path,
            &vibrant_engine::LoadOptions {
                threads: threads.max(1),
                ..vibrant_engine::LoadOptions::default()
            },
        )?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Self::new(model, n_ctx, name))
    }

    /// The model.
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// Tokens currently in the KV cache (the previous turn's prompt and answer).
    pub fn cached_tokens(&self) -> usize {
        self.session.n_past()
    }

    /// Forgets the KV cache (the next turn prefills everything).
    pub fn clear_cache(&mut self) {
        self.session.clear();
    }

    /// Whether the model's chat template describes tools itself (Qwen2.5, Llama 3.1…); the
    /// others get the text protocol of [`toolcall::text_protocol_prompt`].
    pub fn template_has_tools(&self) -> bool {
        let src = self.model.chat_template().source();
        src.contains("tools") && src.contains("tool_call")
    }

    /// The prompt tokens for `messages`, rendered with the model's chat template and the
    /// assistant turn opened.
    pub fn prompt_tokens(&self, messages: &[Message]) -> Result<Vec<u32>, BackendError> {
        self.prompt_tokens_with_tools(messages, &[])
    }

    /// The prompt tokens for `messages` with `tools` described to the model: through the
    /// template's own tool support when it has one, otherwise as a section appended to the
    /// system prompt, with earlier calls and results written in the text protocol.
    pub fn prompt_tokens_with_tools(
        &self,
        messages: &[Message],
        tools: &[serde_json::Value],
    ) -> Result<Vec<u32>, BackendError> {
        let native = self.template_has_tools();
        let mut chat: Vec<ChatMessage> = Vec::with_capacity(messages.len() + 1);
        for m in messages {
            chat.push(if native {
                native_message(m)
            } else {
                text_protocol_message(m)
            });
        }
        if !native && !tools.is_empty() {
            let section = toolcall::text_protocol_prompt(tools);
            match chat.first_mut() {
                Some(first) if first.role == "system" => {
                    first.content = format!("{}\n\n{section}", first.content.trim_end());
                }
                _ => chat.insert(0, ChatMessage::system(section)),
            }
        }
        let template_tools = (native && !tools.is_empty()).then_some(tools);
        let rendered = self
            .model
            .chat_template()
            .render(&chat, template_tools, true)
            .map_err(|e| BackendError::Template(e.to_string()))?;
        self.model
            .tokenizer()
            .encode(&rendered, true, true)
            .map_err(|e| BackendError::Template(e.to_string()))
    }
}

/// A message for a template with tool support: calls in the OpenAI shape, results as `tool`.
fn native_message(m: &Message) -> ChatMessage {
    let mut c = ChatMessage::new(m.role.as_str(), m.wire_text());
    if !m.tool_calls.is_empty() {
        c.tool_calls = Some(m.tool_calls.iter().map(ToolCall::to_openai_json).collect());
    }
    if m.role == Role::Tool {
        c.tool_call_id = m.tool_call_id.clone();
        c.name = m.name.clone();
    }
    c
}

/// A message for a template without tool support: calls written as tagged JSON after the text,
/// results as a user message wrapping the output.
fn text_protocol_message(m: &Message) -> ChatMessage {
    match m.role {
        Role::Tool => ChatMessage::user(format!(
            "<tool_response name=\"{}\">\n{}\n</tool_response>",
            m.name.as_deref().unwrap_or("tool"),
            m.content.trim_end()
        )),
        Role::Assistant if !m.tool_calls.is_empty() => {
            let mut text = m.content.trim_end().to_owned();
            for call in &m.tool_calls {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&toolcall::render_call(&call.name, &call.arguments));
            }
            ChatMessage::assistant(text)
        }
        _ => ChatMessage::new(m.role.as_str(), m.wire_text()),
    }
}

impl EmbeddedBackend {
    /// The grammar constraint for a request with tools, when it asks for one and the tools and
    /// vocabulary allow it (otherwise decoding is unconstrained and the answer is parsed
    /// forgivingly).
    fn constraint_for(&mut self, request: &CompletionRequest<'_>) -> Option<ToolCallConstraint> {
        if request.tools.is_empty() || !request.constrain_tools {
            return None;
        }
        let mode = match request.tool_choice {
            ToolChoice::Auto => ToolMode::Auto,
            ToolChoice::Required => ToolMode::Required,
            ToolChoice::None => return None,
        };
        let vocab = self
            .vocab
            .get_or_insert_with(|| Arc::new(Vocab::new(self.model.tokenizer())))
            .clone();
        match ToolCallConstraint::new(vocab, request.tools, mode) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::info!("tool calls are not constrained: {e}");
                None
            }
        }
    }
}

impl EmbeddedBackend {
    fn generate_params(
        &self,
        request: &CompletionRequest<'_>,
        v: Option<Sampling>,
    ) -> GenerateParams {
        GenerateParams {
            max_tokens: request.max_tokens,
            stop: request.stop.clone(),
            sampler: SamplerParams {
                temperature: v.map_or(request.temperature, |v| v.temperature),
                top_k: request.top_k,
                top_p: request.top_p,
                min_p: request.min_p,
                repeat_penalty: request.repeat_penalty,
                seed: v.map_or(request.seed, |v| v.seed),
                ..SamplerParams::default()
            },
            stop_at_eog: true,
            stop_on_loop: false,
            end_only_after: request.require_code_block.then(|| ("```".to_owned(), 2)),
            // An answer still explaining itself after 160 tokens opens its code block.
            nudge: request.require_code_block.then(|| Nudge {
                after_tokens: 160,
                unless: "```".to_owned(),
                text: "\n\n```".to_owned(),
            }),
            lookup: self.lookup.clone(),
        }
    }
}

/// Candidates decoded together in one batch ([`Backend::answers`]).
struct BatchAnswers<'s> {
    batch: Batch<'s>,
    started: Instant,
}

impl super::Answers for BatchAnswers<'_> {
    fn next_answer(
        &mut self,
        cancel: &AtomicBool,
    ) -> Result<Option<(usize, Completion)>, BackendError> {
        let Some((i, g)) = self.batch.next_finished(cancel)? else {
            return Ok(None);
        };
        let st = &g.stats;
        let finish = match &st.stop_reason {
            StopReason::EndOfGeneration | StopReason::StopString(_) => FinishReason::Stop,
            StopReason::MaxTokens | StopReason::Repetition => FinishReason::Length,
            StopReason::Cancelled => FinishReason::Cancelled,
            StopReason::ContextFull => FinishReason::ContextFull,
        };
        Ok(Some((
            i,
            Completion {
                usage: Usage {
                    prompt_tokens: Some(st.prompt_tokens),
                    reused_tokens: Some(st.reused_tokens),
                    completion_tokens: Some(st.generated_tokens),
                    time_to_first_token: Some(st.prefill),
                    total: self.started.elapsed(),
                },
                text: g.text,
                tool_calls: Vec::new(),
                invalid_tool_calls: Vec::new(),
                finish,
            },
        )))
    }
}

impl Backend for EmbeddedBackend {
    fn describe(&self) -> String {
        format!("embedded {}", self.name)
    }

    fn context_window(&self) -> usize {
        self.session.n_ctx()
    }

    fn count_tokens(&self, text: &str) -> usize {
        self.model
            .tokenizer()
            .encode(text, false, false)
            .map_or_else(|_| text.len() / 3 + 1, |t| t.len())
    }

    fn count_prompt(&self, messages: &[Message]) -> Result<usize, BackendError> {
        Ok(self.prompt_tokens(messages)?.len())
    }

    fn count_prompt_with_tools(
        &self,
        messages: &[Message],
        tools: &[serde_json::Value],
    ) -> Result<usize, BackendError> {
        Ok(self.prompt_tokens_with_tools(messages, tools)?.len())
    }

    fn answers<'a>(
        &'a mut self,
        request: &CompletionRequest<'a>,
        variants: &[Sampling],
    ) -> Result<Box<dyn super::Answers + 'a>, BackendError> {
        let started = Instant::now();
        if request.tool_choice != ToolChoice::None && !request.tools.is_empty() {
            // Constrained tool calls need one constraint per sequence: one by one.
            return Ok(Box::new(super::EachAnswer {
                backend: self,
                request: request.clone(),
                variants: variants.to_vec(),
                next: 0,
            }));
        }
        let prompt = self.prompt_tokens_with_tools(request.messages, &[])?;
        let window = self.session.n_ctx();
        if prompt.len() >= window {
            return Err(BackendError::PromptTooLong {
                prompt: prompt.len(),
                answer: request.max_tokens,
                window,
            });
        }
        // Candidates: a looping one must not hold up the batch.
        let params: Vec<GenerateParams> = variants
            .iter()
            .map(|v| GenerateParams {
                stop_on_loop: true,
                ..self.generate_params(request, Some(*v))
            })
            .collect();
        let batch = Batch::start(&mut self.session, &prompt, params)?;
        Ok(Box::new(BatchAnswers { batch, started }))
    }

    fn complete(
        &mut self,
        request: &CompletionRequest<'_>,
        cancel: &AtomicBool,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<Completion, BackendError> {
        let started = Instant::now();
        let tools: &[serde_json::Value] = if request.tool_choice == ToolChoice::None {
            &[]
        } else {
            request.tools
        };
        let prompt = self.prompt_tokens_with_tools(request.messages, tools)?;
        let window = self.session.n_ctx();
        if prompt.len() >= window {
            return Err(BackendError::PromptTooLong {
                prompt: prompt.len(),
                answer: request.max_tokens,
                window,
            });
        }
        let mut stop = request.stop.clone();
        if !tools.is_empty() {
            // Tool results come from us, never from the model.
            stop.push("<tool_response>".to_owned());
        }
        let mut params = self.generate_params(request, None);
        params.stop = stop;
        let mut ttft = None;
        let mut filter = CallFilter::default();
        let mut emit = |piece: &str| {
            if !piece.is_empty() {
                on_delta(piece);
            }
        };
        let mut constraint = self.constraint_for(request);
        let generation = generate_constrained(
            &mut self.session,
            &prompt,
            &params,
            constraint.as_mut().map(|c| c as &mut dyn TokenConstraint),
            cancel,
            &mut |piece| {
                if !piece.is_empty() {
                    ttft.get_or_insert_with(|| started.elapsed());
                    if tools.is_empty() {
                        emit(piece);
                    } else {
                        filter.push(piece, &mut emit);
                    }
                }
            },
        )?;
        filter.finish(&mut emit);
        let st = &generation.stats;
        let finish = match &st.stop_reason {
            StopReason::EndOfGeneration | StopReason::StopString(_) => FinishReason::Stop,
            StopReason::MaxTokens | StopReason::Repetition => FinishReason::Length,
            StopReason::Cancelled => FinishReason::Cancelled,
            StopReason::ContextFull => FinishReason::ContextFull,
        };
        let (text, tool_calls, invalid_tool_calls) = if tools.is_empty() {
            (generation.text, Vec::new(), Vec::new())
        } else {
            let names: Vec<&str> = tools.iter().filter_map(tool_name).collect();
            let parsed = toolcall::parse_tool_calls(&generation.text, &names);
            let calls = parsed
                .calls
                .into_iter()
                .map(|c| {
                    self.call_counter += 1;
                    ToolCall {
                        id: format!("call_{}", self.call_counter),
                        name: c.name,
                        arguments: c.arguments,
                    }
                })
                .collect();
            (parsed.text, calls, parsed.invalid)
        };
        Ok(Completion {
            text,
            tool_calls,
            invalid_tool_calls,
            finish,
            usage: Usage {
                prompt_tokens: Some(st.prompt_tokens),
                reused_tokens: Some(st.reused_tokens),
                completion_tokens: Some(st.generated_tokens),
                time_to_first_token: ttft,
                total: started.elapsed(),
            },
        })
    }
}
