//! A Python object with `send(mail)` as the core's mailer.

use std::sync::{Arc, Mutex};

use partner_benefits::{Error, Mail, Mailer};
use partner_benefits_bindings::Mail as PyMail;
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;

/// A Python object with `send(mail)` used as the core's mailer. An `Exception`
/// from it is a refusal: the mail stays queued for the next dispatch. A
/// `BaseException` that is not an `Exception` (e.g. `KeyboardInterrupt`) stops
/// the dispatch: the rest stays queued and `dispatch_mail` raises it.
pub(crate) struct HostMailer {
    target: Py<PyAny>,
    interrupted: Mutex<Option<PyErr>>,
}

impl HostMailer {
    /// The interruption seen by the last dispatch, if any, taken.
    pub(crate) fn take_interruption(&self) -> Option<PyErr> {
        self.interrupted.lock().ok().and_then(|mut slot| slot.take())
    }
}

impl Mailer for HostMailer {
    fn send(&self, mail: &Mail) -> Result<(), Error> {
        let stopped = || Error::Mail { message: "the dispatch was interrupted".into() };
        if self.interrupted.lock().map(|slot| slot.is_some()).unwrap_or(true) {
            return Err(stopped());
        }
        Python::attach(|py| {
            let sent = Py::new(py, PyMail::from(mail)).and_then(|value| self.target.bind(py).call_method1("send", (value,)));
            match sent {
                Ok(_) => Ok(()),
                Err(err) if err.is_instance_of::<PyException>(py) => {
                    let kind = err.get_type(py).name().map(|n| n.to_string()).unwrap_or_else(|_| "Exception".into());
                    Err(Error::Mail { message: format!("the host mailer raised {kind}: {}", err.value(py)) })
                }
                Err(err) => {
                    if let Ok(mut slot) = self.interrupted.lock() {
                        *slot = Some(err);
                    }
                    Err(stopped())
                }
            }
        })
    }
}

/// The host's mailer, if it gave one; an object without `send` is a `TypeError`.
pub(crate) fn host_mailer(mailer: Option<Bound<'_, PyAny>>) -> PyResult<Option<Arc<HostMailer>>> {
    match mailer {
        None => Ok(None),
        Some(target) if target.hasattr("send")? => {
            Ok(Some(Arc::new(HostMailer { target: target.unbind(), interrupted: Mutex::new(None) })))
        }
        Some(_) => Err(PyTypeError::new_err("a mailer needs a `send(mail)` method")),
    }
}
