//! The embedded engine: the model's own chat template, its real tokenizer, and one KV-cache
//! session kept across turns, so a follow-up question only prefills the tokens that changed.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use vibrant_engine::{
    ChatMessage, GenerateParams, Model, SamplerParams, Session, StopReason, generate,
};

use super::{Backend, BackendError, Completion, CompletionRequest, FinishReason, Usage};
use crate::message::Message;

/// Vibrant's own engine, in-process.
pub struct EmbeddedBackend {
    model: Arc<Model>,
    session: Session,
    name: String,
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
        }
    }

    /// Loads the model at `path` with `threads` workers.
    pub fn load(path: &Path, threads: usize, n_ctx: usize) -> Result<Self, BackendError> {
        let model = Model::load(
            path,
            &vibrant_engine::LoadOptions {
                threads: threads.max(1),
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

    /// The prompt tokens for `messages`, rendered with the model's chat template and the
    /// assistant turn opened.
    pub fn prompt_tokens(&self, messages: &[Message]) -> Result<Vec<u32>, BackendError> {
        let chat: Vec<ChatMessage> = messages
            .iter()
            .map(|m| ChatMessage::new(m.role.as_str(), m.wire_text()))
            .collect();
        let rendered = self
            .model
            .chat_template()
            .render(&chat, None, true)
            .map_err(|e| BackendError::Template(e.to_string()))?;
        self.model
            .tokenizer()
            .encode(&rendered, true, true)
            .map_err(|e| BackendError::Template(e.to_string()))
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

    fn complete(
        &mut self,
        request: &CompletionRequest<'_>,
        cancel: &AtomicBool,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<Completion, BackendError> {
        let started = Instant::now();
        let prompt = self.prompt_tokens(request.messages)?;
        let window = self.session.n_ctx();
        if prompt.len() >= window {
            return Err(BackendError::PromptTooLong {
                prompt: prompt.len(),
                answer: request.max_tokens,
                window,
            });
        }
        let params = GenerateParams {
            max_tokens: request.max_tokens,
            stop: request.stop.clone(),
            sampler: SamplerParams {
                temperature: request.temperature,
                top_k: request.top_k,
                top_p: request.top_p,
                min_p: request.min_p,
                repeat_penalty: request.repeat_penalty,
                seed: request.seed,
                ..SamplerParams::default()
            },
            stop_at_eog: true,
        };
        let mut ttft = None;
        let generation = generate(&mut self.session, &prompt, &params, cancel, &mut |piece| {
            if !piece.is_empty() {
                ttft.get_or_insert_with(|| started.elapsed());
                on_delta(piece);
            }
        })?;
        let st = &generation.stats;
        let finish = match &st.stop_reason {
            StopReason::EndOfGeneration | StopReason::StopString(_) => FinishReason::Stop,
            StopReason::MaxTokens => FinishReason::Length,
            StopReason::Cancelled => FinishReason::Cancelled,
            StopReason::ContextFull => FinishReason::ContextFull,
        };
        Ok(Completion {
            text: generation.text,
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
