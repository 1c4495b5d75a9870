//! The program operator's operations on one organization (R21, R23, P5):
//! levels, competencies, and completing assistance requests.

use crate::error::Error;
use crate::event::Event;
use crate::ids::RequestId;
use crate::lifecycle::advisory::{AdvisoryMachine, RequestInput};
use crate::lifecycle::{Machine, Timestamp};
use crate::state::OrganizationState;
use crate::values::{Code, PartnerLevel};

/// One operation of the program operator.
#[derive(Debug, Clone)]
pub(crate) enum ProgramOp {
    SetLevel(PartnerLevel),
    GrantCompetency(Code),
    RevokeCompetency(Code),
    CompleteRequest(RequestId),
}

/// The events `op` records in `state` at `now`, or why not.
pub(crate) fn decide(state: &OrganizationState, op: &ProgramOp, now: Timestamp) -> Result<Vec<Event>, Error> {
    Ok(vec![match op {
        ProgramOp::SetLevel(level) => Event::PartnerLevelSet { level: *level },
        ProgramOp::GrantCompetency(competency) => Event::CompetencyGranted { competency: competency.clone() },
        ProgramOp::RevokeCompetency(competency) => {
            if !state.competencies.contains(competency) {
                return Err(Error::not_found("competency", competency.clone()));
            }
            Event::CompetencyRevoked { competency: competency.clone() }
        }
        ProgramOp::CompleteRequest(request) => {
            let found = state.requests.get(request).ok_or_else(|| Error::not_found("request", *request))?;
            AdvisoryMachine::decide(&found.state, &RequestInput::Complete, now)?;
            Event::AssistanceCompleted { request: *request }
        }
    }])
}
