//! Group threads (PRODUCT.md F19-F20): one guest, one or more MultiLine participants.
//!
//! Every operation is checked (who may do it, to whom) and yields the new participant list
//! and the system events the thread shows and the audit log records:
//! - **add**: a participant adds a colleague who is not in the thread;
//! - **remove**: a participant removes another participant (not themself: that is leave);
//! - **leave**: a participant leaves; the last one leaving closes the thread;
//! - **transfer**: add the target and leave, as one step;
//! - **restart**: close the thread and open a new one with the same guest and the same
//!   participants; consent is per guest so it carries over, and so do the window's facts
//!   (the guest's 24 h window is not per thread), so the rules still decide whether the
//!   first message must be a template.
//!
//! A removed or departed user loses access to the thread's new messages: the connector lists
//! a thread only to its current participants.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::errors::ErrorCode;
use crate::ids::UserId;

/// A change to a thread's participants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Add(UserId),
    Remove(UserId),
    Leave,
    Transfer(UserId),
    Restart,
}

/// What a thread shows as a system line, and the audit log records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum SystemEvent {
    Added {
        by: UserId,
        user: UserId,
    },
    Removed {
        by: UserId,
        user: UserId,
    },
    Left {
        user: UserId,
    },
    Transferred {
        from: UserId,
        to: UserId,
    },
    /// The last participant left, or the thread was restarted.
    Closed {
        by: UserId,
    },
    /// A new thread replaced this one.
    Restarted {
        by: UserId,
    },
    /// A colleague opened a conversation with the guest while this one was open: they ask to
    /// be added (membership is only ever given by a participant).
    AskedToJoin {
        user: UserId,
    },
}

/// Why an operation is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ParticipantError {
    #[error("Only participants of this conversation can change it.")]
    NotAParticipant,
    #[error("That colleague is already in this conversation.")]
    AlreadyParticipant,
    #[error("That person is not in this conversation.")]
    TargetNotParticipant,
    #[error("Choose someone else: to step out yourself, leave the conversation.")]
    TargetIsSelf,
    #[error("That person is not a colleague in your organization.")]
    NotAColleague,
    #[error("This conversation is closed.")]
    ThreadClosed,
}

impl ParticipantError {
    /// The stable code, as in API errors.
    pub fn code(self) -> ErrorCode {
        match self {
            ParticipantError::NotAParticipant => ErrorCode::NotAParticipant,
            ParticipantError::AlreadyParticipant => ErrorCode::AlreadyParticipant,
            ParticipantError::TargetNotParticipant => ErrorCode::TargetNotParticipant,
            ParticipantError::TargetIsSelf => ErrorCode::TargetIsSelf,
            ParticipantError::NotAColleague => ErrorCode::NotAColleague,
            ParticipantError::ThreadClosed => ErrorCode::ThreadClosed,
        }
    }
}

impl SystemEvent {
    /// The sentence a thread shows, given how to name a user.
    pub fn sentence(&self, name: impl Fn(UserId) -> String) -> String {
        match *self {
            SystemEvent::Added { by, user } => format!("{} added {}", name(by), name(user)),
            SystemEvent::Removed { by, user } => format!("{} removed {}", name(by), name(user)),
            SystemEvent::Left { user } => format!("{} left the conversation", name(user)),
            SystemEvent::Transferred { from, to } => {
                format!(
                    "{} transferred the conversation to {}",
                    name(from),
                    name(to)
                )
            }
            SystemEvent::Closed { by } => format!("{} closed the conversation", name(by)),
            SystemEvent::Restarted { by } => {
                format!("{} restarted the conversation", name(by))
            }
            SystemEvent::AskedToJoin { user } => {
                format!("{} asked to join the conversation", name(user))
            }
        }
    }

    /// The audit record's action.
    pub fn action(&self) -> &'static str {
        match self {
            SystemEvent::Added { .. } => "participant.added",
            SystemEvent::Removed { .. } => "participant.removed",
            SystemEvent::Left { .. } => "participant.left",
            SystemEvent::Transferred { .. } => "thread.transferred",
            SystemEvent::Closed { .. } => "thread.closed",
            SystemEvent::Restarted { .. } => "thread.restarted",
            SystemEvent::AskedToJoin { .. } => "participant.join_requested",
        }
    }
}

/// The outcome of an allowed operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The participants afterwards (for a restart: of the new thread).
    pub participants: Vec<UserId>,
    pub events: Vec<SystemEvent>,
    /// The thread is closed by this operation.
    pub closes: bool,
    /// A new thread with the same guest opens (restart).
    pub opens_new_thread: bool,
}

/// Checks `op` by `actor` on an open (`open`) thread with `participants`; `is_colleague`
/// says whether a user is in the actor's organization.
pub fn apply(
    participants: &[UserId],
    open: bool,
    actor: UserId,
    op: Operation,
    is_colleague: impl Fn(UserId) -> bool,
) -> Result<Outcome, ParticipantError> {
    if !participants.contains(&actor) {
        return Err(ParticipantError::NotAParticipant);
    }
    if !open {
        return Err(ParticipantError::ThreadClosed);
    }
    let without = |u: UserId| {
        participants
            .iter()
            .copied()
            .filter(|p| *p != u)
            .collect::<Vec<_>>()
    };
    let outcome = |participants: Vec<UserId>, events: Vec<SystemEvent>| {
        let closes = participants.is_empty();
        let mut events = events;
        if closes {
            events.push(SystemEvent::Closed { by: actor });
        }
        Outcome {
            participants,
            events,
            closes,
            opens_new_thread: false,
        }
    };
    match op {
        Operation::Add(user) | Operation::Transfer(user) if user == actor => {
            Err(ParticipantError::TargetIsSelf)
        }
        Operation::Add(user) | Operation::Transfer(user) if participants.contains(&user) => {
            Err(ParticipantError::AlreadyParticipant)
        }
        Operation::Add(user) | Operation::Transfer(user) if !is_colleague(user) => {
            Err(ParticipantError::NotAColleague)
        }
        Operation::Add(user) => {
            let mut next = participants.to_vec();
            next.push(user);
            Ok(outcome(next, vec![SystemEvent::Added { by: actor, user }]))
        }
        Operation::Transfer(user) => {
            let mut next = without(actor);
            next.push(user);
            Ok(outcome(
                next,
                vec![SystemEvent::Transferred {
                    from: actor,
                    to: user,
                }],
            ))
        }
        Operation::Remove(user) if user == actor => Err(ParticipantError::TargetIsSelf),
        Operation::Remove(user) if !participants.contains(&user) => {
            Err(ParticipantError::TargetNotParticipant)
        }
        Operation::Remove(user) => Ok(outcome(
            without(user),
            vec![SystemEvent::Removed { by: actor, user }],
        )),
        Operation::Leave => Ok(outcome(
            without(actor),
            vec![SystemEvent::Left { user: actor }],
        )),
        Operation::Restart => Ok(Outcome {
            participants: participants.to_vec(),
            events: vec![
                SystemEvent::Closed { by: actor },
                SystemEvent::Restarted { by: actor },
            ],
            closes: true,
            opens_new_thread: true,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users() -> (UserId, UserId, UserId, UserId) {
        (
            UserId::random(),
            UserId::random(),
            UserId::random(),
            UserId::random(),
        )
    }

    #[test]
    fn operations_are_checked_and_produce_system_events() {
        let (alex, sam, kim, outsider) = users();
        let colleague = |u: UserId| u != outsider;
        let both = [alex, sam];

        let added = apply(&[alex], true, alex, Operation::Add(sam), colleague).unwrap();
        assert_eq!(added.participants, both);
        assert_eq!(
            added.events,
            [SystemEvent::Added {
                by: alex,
                user: sam
            }]
        );

        let transferred = apply(&both, true, alex, Operation::Transfer(kim), colleague).unwrap();
        assert_eq!(transferred.participants, [sam, kim]);
        assert_eq!(
            transferred.events,
            [SystemEvent::Transferred {
                from: alex,
                to: kim
            }]
        );
        assert!(!transferred.closes);

        let removed = apply(&both, true, alex, Operation::Remove(sam), colleague).unwrap();
        assert_eq!(removed.participants, [alex]);

        let left = apply(&both, true, sam, Operation::Leave, colleague).unwrap();
        assert_eq!(left.participants, [alex]);
        assert!(!left.closes);
    }

    #[test]
    fn refusals_name_the_rule() {
        let (alex, sam, kim, outsider) = users();
        let colleague = |u: UserId| u != outsider;
        let both = [alex, sam];
        let cases = [
            (
                both.to_vec(),
                true,
                kim,
                Operation::Leave,
                ParticipantError::NotAParticipant,
            ),
            (
                both.to_vec(),
                true,
                alex,
                Operation::Transfer(alex),
                ParticipantError::TargetIsSelf,
            ),
            (
                both.to_vec(),
                true,
                alex,
                Operation::Add(alex),
                ParticipantError::TargetIsSelf,
            ),
            (
                both.to_vec(),
                true,
                alex,
                Operation::Transfer(sam),
                ParticipantError::AlreadyParticipant,
            ),
            (
                both.to_vec(),
                true,
                alex,
                Operation::Add(outsider),
                ParticipantError::NotAColleague,
            ),
            (
                both.to_vec(),
                true,
                alex,
                Operation::Transfer(outsider),
                ParticipantError::NotAColleague,
            ),
            (
                both.to_vec(),
                true,
                alex,
                Operation::Remove(kim),
                ParticipantError::TargetNotParticipant,
            ),
            (
                both.to_vec(),
                true,
                alex,
                Operation::Remove(alex),
                ParticipantError::TargetIsSelf,
            ),
            (
                both.to_vec(),
                false,
                alex,
                Operation::Add(kim),
                ParticipantError::ThreadClosed,
            ),
        ];
        for (participants, open, actor, op, want) in cases {
            assert_eq!(
                apply(&participants, open, actor, op, colleague),
                Err(want),
                "{op:?}"
            );
        }
    }

    #[test]
    fn the_last_participant_leaving_closes_the_thread() {
        let (alex, ..) = users();
        let left = apply(&[alex], true, alex, Operation::Leave, |_| true).unwrap();
        assert!(left.closes);
        assert!(left.participants.is_empty());
        assert_eq!(
            left.events,
            [
                SystemEvent::Left { user: alex },
                SystemEvent::Closed { by: alex }
            ]
        );
    }

    #[test]
    fn restart_closes_and_opens_a_new_thread_with_the_same_people() {
        let (alex, sam, ..) = users();
        let r = apply(&[alex, sam], true, sam, Operation::Restart, |_| true).unwrap();
        assert!(r.closes && r.opens_new_thread);
        assert_eq!(r.participants, [alex, sam]);
    }
}
