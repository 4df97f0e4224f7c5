//! The full-screen chat of `vibrant chat`: [`app`] holds the screen state and drawing (pure,
//! tested with ratatui's `TestBackend`), [`input`] the multi-line input buffer, [`command`] the
//! slash commands, [`worker`] the generation thread that streams deltas over a channel.

pub mod app;
pub mod command;
pub mod input;
pub mod worker;

pub use app::{Action, App, Author, Event, Status};
pub use command::SlashCommand;
pub use worker::{AgentSetup, ChatEngine, Job, Saving, Worker, WorkerEvent};
