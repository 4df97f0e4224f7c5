//! Prompt-lookup drafting for speculative decoding.
//!
//! A code assistant mostly writes text it has already seen: a function it was shown and now
//! rewrites with one line changed, a path from the question, an edit block quoting the file.
//! [`PromptLookup::draft`] guesses the next tokens by finding the last few generated tokens
//! earlier in the prompt or the output and copying what followed them there. The generator then
//! evaluates the pending token and the draft in one forward pass (a pass of a few tokens costs
//! little more than a pass of one on a CPU, which is bound by reading the weights) and keeps the
//! draft tokens for as long as they are what it would have chosen anyway — see
//! `generate.rs`, where each row is sampled exactly as plain decoding would sample it, so the
//! output's distribution (and at temperature 0 the output itself) does not change.

/// Settings of prompt-lookup drafting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromptLookup {
    /// The most draft tokens evaluated after the pending token in one pass.
    pub max_draft: usize,
    /// The shortest match of the output's last tokens that counts (shorter matches guess badly).
    pub ngram_min: usize,
    /// The longest match tried first.
    pub ngram_max: usize,
}

impl Default for PromptLookup {
    fn default() -> Self {
        Self {
            max_draft: 8,
            ngram_min: 2,
            ngram_max: 4,
        }
    }
}

impl PromptLookup {
    /// Up to `len` tokens that followed the most recent earlier occurrence of the longest suffix
    /// of `history` (between `ngram_min` and `ngram_max` tokens) that occurs earlier; empty when
    /// none does.
    pub fn draft(&self, history: &[u32], len: usize) -> Vec<u32> {
        let h = history.len();
        if len == 0 {
            return Vec::new();
        }
        for n in (self.ngram_min.max(1)..=self.ngram_max).rev() {
            if n >= h {
                continue;
            }
            let pattern = &history[h - n..];
            // Most recent occurrence that has at least one token after it.
            for start in (0..h - n).rev() {
                if &history[start..start + n] == pattern {
                    let from = start + n;
                    let to = (from + len).min(h);
                    return history[from..to].to_vec();
                }
            }
        }
        Vec::new()
    }
}

/// How many draft tokens to ask for next: grows while drafts are accepted whole, falls back to
/// one more than the accepted part when one is cut short, and after drafts rejected at their
/// first token pauses drafting for as many passes as there were such misses in a row (up to
/// [`MAX_PAUSE`]), so text that is not a copy costs almost nothing extra.
#[derive(Clone, Debug)]
pub(crate) struct DraftLength {
    next: usize,
    max: usize,
    misses: usize,
    pause: usize,
}

/// The most passes drafting pauses after misses.
const MAX_PAUSE: usize = 8;

impl DraftLength {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            next: max.min(4),
            max,
            misses: 0,
            pause: 0,
        }
    }

    /// The length of the next draft (0 while paused); each call is one pass.
    pub(crate) fn get(&mut self) -> usize {
        if self.pause > 0 {
            self.pause -= 1;
            return 0;
        }
        self.next
    }

    /// Records a verified draft of `drafted` tokens of which the first `accepted` were kept.
    pub(crate) fn update(&mut self, drafted: usize, accepted: usize) {
        if drafted == 0 {
            return;
        }
        if accepted == 0 {
            self.misses += 1;
            self.pause = self.misses.min(MAX_PAUSE);
        } else {
            self.misses = 0;
        }
        self.next = if accepted == drafted {
            (self.next * 2).min(self.max)
        } else {
            (accepted + 1).clamp(1, self.max)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_recent_match_gives_what_followed_it() {
        let l = PromptLookup::default();
        // "1 2 3 4 5" seen, output ends "… 2 3": draft continues with 4 5.
        assert_eq!(l.draft(&[1, 2, 3, 4, 5, 9, 2, 3], 4), vec![4, 5, 9, 2]);
        assert_eq!(l.draft(&[1, 2, 3, 4, 5, 9, 2, 3], 2), vec![4, 5]);
        // The 3-gram "7 2 3" beats the more recent 2-gram "2 3".
        assert_eq!(l.draft(&[7, 2, 3, 8, 0, 2, 3, 6, 7, 2, 3], 1), vec![8]);
        // The most recent occurrence wins between equal lengths.
        assert_eq!(l.draft(&[2, 3, 4, 2, 3, 5, 2, 3], 1), vec![5]);
    }

    #[test]
    fn no_match_or_no_room_gives_nothing() {
        let l = PromptLookup::default();
        assert!(l.draft(&[1, 2, 3, 4], 4).is_empty());
        assert!(l.draft(&[1, 2, 1, 2], 0).is_empty());
        assert!(l.draft(&[], 4).is_empty());
        assert!(l.draft(&[5], 4).is_empty());
        // A single repeated token is below ngram_min.
        assert!(l.draft(&[1, 9, 8, 1], 4).is_empty());
    }

    #[test]
    fn draft_length_grows_on_full_acceptance_and_backs_off() {
        let mut d = DraftLength::new(8);
        assert_eq!(d.get(), 4);
        d.update(4, 4);
        assert_eq!(d.get(), 8);
        d.update(8, 8);
        assert_eq!(d.get(), 8);
        d.update(8, 2);
        assert_eq!(d.get(), 3);
        d.update(3, 0);
        // A miss at the first token pauses drafting for one pass, two misses for two.
        assert_eq!(d.get(), 0);
        assert_eq!(d.get(), 1);
        d.update(1, 0);
        assert_eq!((d.get(), d.get(), d.get()), (0, 0, 1));
        d.update(0, 0);
        assert_eq!(d.get(), 1);
        d.update(1, 1);
        d.update(2, 0);
        assert_eq!(
            (d.get(), d.get()),
            (0, 1),
            "an accepted draft resets the misses"
        );
    }
}
