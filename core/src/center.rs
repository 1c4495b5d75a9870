//! The façade: one [`BenefitCenter`] owns the store, mailer, clock and
//! catalog; [`Session`]s act as one user of one organization.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use crate::catalog::Catalog;
use crate::changes::{self, Change};
use crate::clock::{Clock, ManualClock};
use crate::command::Outcome;
use crate::contention::{self, TxError};
use crate::decide::{Decider, Tx, Work, collect_due};
use crate::error::Error;
use crate::event::{Actor, Event, RecordedEvent, StreamId};
use crate::ids::{MailId, OrganizationId, UserId};
use crate::lifecycle::delivery::{self, DeliveryInput, DeliveryState};
use crate::lifecycle::{Timestamp, calendar_end, calendar_start};
use crate::mail::{DispatchReport, Mail, Mailer, OutboxEntry, RecordingMailer};
use crate::secret::LicenseKey;
use crate::state::{KeyPoolState, OrganizationState};
use crate::store::{Append, Claim, Commit, IdempotencyRecord, MemoryStore, Snapshot, Store, VaultKey};

use crate::values::{Code, Email, display_name};
use crate::views::{self, AuditEntry, OrganizationView};

use crate::metrics::{Count, Counters, Metrics};
use crate::options::CenterOptions;
use crate::program::Program;
use crate::session::Session;

type Slot = Arc<Mutex<Cached>>;

/// What a slot caches of one organization.
#[derive(Default)]
struct Cached {
    /// The state as of the store's version (the fold of its events).
    state: Option<OrganizationState>,
    /// For queries: `state` with what had fallen due at `view.1` applied, not
    /// committed (a read does not commit). Building it copies the whole
    /// state, so it is kept until `state` moves; it stays right for any later
    /// `now` at which nothing more falls due in it. `view.2` is the version
    /// of `state` it was built on.
    view: Option<(OrganizationState, Timestamp, u64)>,
    /// The last snapshot of the organization this slot knows of: the one
    /// `state` was loaded from or the last one written (0, 0: none).
    snapshot: SnapshotMark,
}

/// A snapshot's version and size in bytes.
#[derive(Default, Clone, Copy)]
struct SnapshotMark {
    version: u64,
    bytes: u64,
}

pub(crate) struct Inner {
    pub store: Arc<dyn Store>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub catalog: Arc<Catalog>,
    /// The catalog's package templates, each shared by every package bought
    /// from it (and its purchase event) instead of copied into each.
    pub templates: Vec<Arc<crate::catalog::PackageTemplate>>,
    pub options: CenterOptions,
    // One slot per organization: serializes this process's writers of an
    // organization and caches its state; other processes are kept apart by
    // the store's version check.
    orgs: RwLock<HashMap<OrganizationId, Slot>>,
    pools: Mutex<HashMap<Code, KeyPoolState>>,
    /// What [`BenefitCenter::metrics`] reports.
    pub(crate) counters: Counters,
}

/// The entry point: everything the library does starts here. Cheap to clone;
/// clones share the store, the caches and the clock, and may be used from many threads.
#[derive(Clone)]
pub struct BenefitCenter {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for BenefitCenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BenefitCenter").field("packages", &self.inner.catalog.packages.len()).finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> Result<MutexGuard<'_, T>, Error> {
    mutex.lock().map_err(|_| Error::storage("a lock was poisoned by a panic in another thread"))
}

/// Numbers new events after `base` in `stream`.
pub(crate) fn record(stream: &StreamId, base: u64, events: Vec<(Timestamp, Actor, Event)>) -> Vec<RecordedEvent> {
    RecordedEvent::numbered(stream, base, events).collect()
}

/// The refusal of a command while the clock reads outside the calendar.
fn clock_outside_calendar(now: Timestamp) -> Error {
    Error::precondition(format!(
        "the clock reads {}, outside the supported calendar ({} to {}); set the clock right",
        now.format("%Y-%m-%dT%H:%M:%SZ"),
        calendar_start().format("%Y-%m-%d"),
        calendar_end().format("%Y-%m-%d")
    ))
}

/// What a batch decided, ready to commit.
struct Decided {
    outcomes: Vec<Result<Outcome, Error>>,
    events: Vec<RecordedEvent>,
    mails: Vec<Mail>,
    claims: Vec<Claim>,
    state: Option<OrganizationState>,
}

impl BenefitCenter {
    /// A center over the given parts.
    pub fn new(store: Arc<dyn Store>, mailer: Arc<dyn Mailer>, clock: Arc<dyn Clock>, catalog: Catalog) -> Self {
        Self::with_options(store, mailer, clock, catalog, CenterOptions::default())
    }

    /// A center with tuned options.
    pub fn with_options(
        store: Arc<dyn Store>,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
        catalog: Catalog,
        options: CenterOptions,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                mailer,
                clock,
                templates: catalog.packages.iter().cloned().map(Arc::new).collect(),
                catalog: Arc::new(catalog),
                options,
                orgs: RwLock::new(HashMap::new()),
                pools: Mutex::new(HashMap::new()),
                counters: Counters::default(),
            }),
        }
    }

    /// An in-memory center with the built-in catalog and a recording mailer.
    pub fn in_memory(clock: Arc<ManualClock>) -> Result<Self, Error> {
        Ok(Self::new(Arc::new(MemoryStore::new()), Arc::new(RecordingMailer::new()), clock, Catalog::builtin()?))
    }

    /// The catalog in use.
    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    /// The store in use.
    pub fn store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.inner.store)
    }

    /// The current time of the center's clock.
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// The time at which to decide for `state`: the clock's, but never
    /// earlier than what the organization has already recorded. Host clocks
    /// step back (NTP, a restored VM, a test clock); deciding at an earlier
    /// time would reopen closed windows and put the audit log out of order.
    /// Catching up (what the clock alone does) stops at the end of the
    /// calendar; a command when the clock reads past it is refused, as no
    /// date past it can be recorded (see [`calendar_end`]).
    fn now_for(&self, state: &OrganizationState, actor: Actor) -> Result<Timestamp, Error> {
        let now = self.now().max(state.recorded_until);
        if now > calendar_end() && actor != Actor::Clock {
            return Err(clock_outside_calendar(now));
        }
        Ok(now.min(calendar_end()))
    }

    /// The clock's time for a record of no organization (a new one, a key
    /// pool's stock), refused outside the calendar.
    fn command_time(&self) -> Result<Timestamp, Error> {
        let now = self.now();
        if now < calendar_start() || now > calendar_end() {
            return Err(clock_outside_calendar(now));
        }
        Ok(now)
    }

    /// Registers a partner company with its first Global admin (R04).
    pub fn create_organization(
        &self,
        name: &str,
        account_email: &str,
        admin_name: &str,
        admin_email: &str,
    ) -> Result<OrganizationView, Error> {
        let name = display_name("name", name)?;
        let account_email = Email::parse("account_email", account_email)?;
        let admin_name = display_name("admin_name", admin_name)?;
        let admin_email = Email::parse("admin_email", admin_email)?;
        let id = self.inner.store.allocate_organization_id()?;
        let admin = UserId::new(id, 1);
        let stream = StreamId::Organization(id);
        let event = Event::OrganizationCreated { name, account_email, admin, admin_name, admin_email };
        let events = record(&stream, 0, vec![(self.command_time()?, Actor::Program, event)]);
        let state = OrganizationState::replay(id, &events)?;
        self.inner.store.commit(Commit { appends: vec![Append { stream, expected_version: 0, events }], ..Commit::default() })?;
        Ok(views::organization(&state))
    }

    /// A session acting as `user` of `organization`. Nothing is checked
    /// until the first call; a user of another organization gets `not_found` (B1).
    pub fn session(&self, organization: OrganizationId, user: UserId) -> Session {
        Session::new(self.clone(), organization, user)
    }

    /// The program operator's side: key pools, levels, competencies, requests.
    pub fn program(&self) -> Program {
        Program::new(self.clone())
    }

    /// Records everything that fell due (activations, expiries, reminders)
    /// in every organization, queueing its mail. Returns the number of events.
    pub fn process_due(&self) -> Result<u64, Error> {
        let organizations = self.inner.store.organizations()?;
        let _span = tracing::info_span!("process_due", organizations = organizations.len()).entered();
        let mut total = 0;
        for organization in organizations {
            total += self.process_due_in(organization)?;
        }
        tracing::info!(events = total, "due steps recorded");
        Ok(total)
    }

    /// [`process_due`](Self::process_due) for one organization, in its own
    /// commit, so a host going through many can show its progress. Returns
    /// the number of events; an unknown organization is `not_found`.
    pub fn process_due_in(&self, organization: OrganizationId) -> Result<u64, Error> {
        let (decided, _) =
            self.contended(contention::DEFAULT_RETRY_BUDGET, || self.transact(organization, Actor::Clock, None, Work::CatchUp))?;
        Ok(decided as u64)
    }

    /// Sends due mail through the mailer: accepted mail is marked sent and
    /// never sent again; refused mail stays queued with the error (B6).
    pub fn dispatch_mail(&self) -> Result<DispatchReport, Error> {
        // Delivery times are shown to hosts: kept inside the calendar too.
        let now = self.now().clamp(calendar_start(), calendar_end());
        let lease_until = now.checked_add_signed(self.inner.options.mail_lease).unwrap_or(Timestamp::MAX_UTC);
        let claimed = self.inner.store.claim_mail(now, lease_until, self.inner.options.dispatch_batch)?;
        let _span = tracing::info_span!("dispatch", claimed = claimed.len()).entered();
        let mut report = DispatchReport::default();
        for entry in claimed {
            let input = match self.inner.mailer.send(&entry.mail) {
                Ok(()) => DeliveryInput::Accepted,
                Err(err) => DeliveryInput::Refused { error: err.to_string(), retry: self.inner.options.mail_retry },
            };
            let next = delivery::transition(&entry.delivery, &input, now)?;
            match next {
                DeliveryState::Sent { .. } => report.sent += 1,
                DeliveryState::Parked { .. } => report.parked += 1,
                _ => report.failed += 1,
            }
            self.inner.store.settle_mail(entry.mail.id, &next)?;
        }
        self.inner.counters.add(Count::MailSent, u64::from(report.sent));
        self.inner.counters.add(Count::MailFailed, u64::from(report.failed + report.parked));
        self.inner.counters.add(Count::MailParked, u64::from(report.parked));
        // Counts and ids only: never an address or a body.
        tracing::info!(sent = report.sent, failed = report.failed, parked = report.parked, "mail dispatched");
        if report.parked > 0 {
            tracing::warn!(parked = report.parked, "mail refused as many times as allowed was parked; requeue it once the cause is fixed");
        }
        Ok(report)
    }

    /// Queues a parked mail again (`invalid_transition` unless it is
    /// parked): the next dispatch tries it as if new.
    pub fn requeue_mail(&self, id: MailId) -> Result<(), Error> {
        let entry = self.inner.store.outbox()?.into_iter().find(|entry| entry.mail.id == id).ok_or_else(|| Error::not_found("mail", id))?;
        let next = delivery::transition(&entry.delivery, &DeliveryInput::Requeue, self.now())?;
        self.inner.store.requeue_mail(id, &next)
    }

    /// What this center counted (commands, conflicts, retries, mail), and
    /// the outbox depth read from the store now.
    pub fn metrics(&self) -> Result<Metrics, Error> {
        let outbox = self.inner.store.outbox()?;
        let depth = outbox.iter().filter(|entry| entry.delivery.is_due()).count() as u64;
        let parked = outbox.iter().filter(|entry| matches!(entry.delivery, DeliveryState::Parked { .. })).count() as u64;
        Ok(self.inner.counters.read(depth, parked))
    }

    /// Every mail of the outbox with its delivery state.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, Error> {
        self.inner.store.outbox()
    }

    /// The whole audit log of an organization, oldest first (program side).
    pub fn audit_log(&self, organization: OrganizationId) -> Result<Vec<AuditEntry>, Error> {
        let events = self.inner.store.read_events(&StreamId::Organization(organization), 0, usize::MAX)?;
        if events.is_empty() {
            return Err(Error::not_found("organization", organization));
        }
        Ok(events.iter().map(AuditEntry::from).collect())
    }

    /// Up to `limit` (1 to [`MAX_CHANGES_PAGE`](crate::MAX_CHANGES_PAGE)) committed events of every
    /// stream after position `after` (0: from the start), in commit order.
    /// Paging with `after` = the last change's position never misses nor
    /// repeats an event, also while other processes commit.
    pub fn changes(&self, after: u64, limit: u32) -> Result<Vec<Change>, Error> {
        let limit = changes::page_size(limit)?;
        Ok(self.inner.store.changes(after, limit)?.iter().map(Change::from).collect())
    }

    fn slot(&self, organization: OrganizationId) -> Result<Slot, Error> {
        // Known organizations are found under the shared lock, so threads
        // working on distinct organizations do not queue here.
        let poisoned = || Error::storage("a lock was poisoned by a panic in another thread");
        if let Some(slot) = self.inner.orgs.read().map_err(|_| poisoned())?.get(&organization) {
            return Ok(Arc::clone(slot));
        }
        let mut orgs = self.inner.orgs.write().map_err(|_| poisoned())?;
        Ok(Arc::clone(orgs.entry(organization).or_default()))
    }

    /// Brings the cached state of `organization` up to the store's version;
    /// when it loads the state afresh, `mark` becomes the snapshot it started from.
    fn refresh(&self, organization: OrganizationId, cached: &mut Option<OrganizationState>, mark: &mut SnapshotMark) -> Result<(), Error> {
        let stream = StreamId::Organization(organization);
        let after = cached.as_ref().map_or(0, |s| s.version);
        let loaded = self.inner.store.load(&stream, after)?;
        // A cached state takes what was committed since in place: moving the
        // state out and back cost more than the check itself when nothing
        // was (every command and query runs this).
        if let Some(state) = cached.as_mut() {
            if let Err(err) = loaded.events.iter().try_for_each(|event| state.apply(event)) {
                *cached = None;
                return Err(err);
            }
            return Ok(());
        }
        let mut passed_over = false;
        let restored = match loaded.snapshot {
            Some(snapshot) => match crate::record::decode_snapshot::<OrganizationState>(&snapshot.state) {
                Some(mut state) => {
                    *mark = SnapshotMark { version: snapshot.version, bytes: snapshot.state.len() as u64 };
                    state.reindex();
                    Some(state)
                }
                // A snapshot is only a cache: one this release cannot read (an
                // older schema, damage) is passed over and the state rebuilt
                // from the events, which are the truth (B2).
                None => {
                    passed_over = true;
                    None
                }
            },
            None => None,
        };
        let (mut state, events, skip) = match restored {
            Some(state) => (state, loaded.events, 0),
            None => {
                *mark = SnapshotMark::default();
                // From the first event: the loaded events follow the snapshot
                // passed over, so then the whole stream is read.
                let events = if passed_over { self.inner.store.read_events(&stream, 0, usize::MAX)? } else { loaded.events };
                let Some(first) = events.first() else {
                    return Err(Error::not_found("organization", organization));
                };
                (OrganizationState::from_first(organization, first)?, events, 1)
            }
        };
        for event in events.iter().skip(skip) {
            state.apply(event)?;
        }
        if passed_over {
            // Replace the unreadable snapshot now, so an organization that is
            // only read is not replayed in full at every open.
            self.write_snapshot(&stream, &state, mark);
        }
        *cached = Some(state);
        Ok(())
    }

    /// How many keys each pool `demand` names has free, counted up to what
    /// the work could take: the purchase's check before its commit claims them.
    fn free_keys(&self, demand: BTreeMap<Code, u64>) -> Result<BTreeMap<Code, u64>, Error> {
        if demand.is_empty() {
            return Ok(demand);
        }
        demand.into_iter().map(|(product, up_to)| Ok((product.clone(), self.inner.store.free_keys(&product, up_to)?))).collect()
    }

    /// The current state of one key pool.
    pub(crate) fn pool(&self, product: &Code) -> Result<KeyPoolState, Error> {
        let mut pools = lock(&self.inner.pools)?;
        let mut state = pools.remove(product).unwrap_or_default();
        let stream = StreamId::KeyPool(product.clone());
        let loaded = self.inner.store.load(&stream, state.version)?;
        let mut events = loaded.events;
        if let (0, Some(snapshot)) = (state.version, loaded.snapshot) {
            match crate::record::decode_snapshot(&snapshot.state) {
                Some(decoded) => state = decoded,
                // Only a cache: rebuilt from the pool's events instead.
                None => events = self.inner.store.read_events(&stream, 0, usize::MAX)?,
            }
        }
        for event in &events {
            state.apply(event)?;
        }
        pools.insert(product.clone(), state.clone());
        Ok(state)
    }

    /// Reads the state of `organization` as of now (due steps applied in
    /// memory, not committed) as `user`, who must belong to it.
    pub(crate) fn read<T>(
        &self,
        organization: OrganizationId,
        user: UserId,
        f: impl FnOnce(&OrganizationState) -> Result<T, Error>,
    ) -> Result<T, Error> {
        if user.organization() != organization {
            return Err(Error::not_found("user", user));
        }
        let slot = self.slot(organization)?;
        let mut guard = lock(&slot)?;
        let Cached { state: cached, view: cached_view, snapshot: mark } = &mut *guard;
        self.refresh(organization, cached, mark)?;
        let state = cached.as_ref().ok_or_else(|| Error::not_found("organization", organization))?;
        let now = self.now_for(state, Actor::Clock)?;
        let mut tx = Tx::new(state, &self.inner.catalog, now, Actor::Clock);
        collect_due(&mut tx);
        if tx.events.is_empty() {
            return f(state);
        }
        // Reuse the view built for an earlier query on this same state when
        // nothing more has fallen due in it since (so catching up at `now`
        // would give the same state): copying the state for every query
        // between a clock step and the next command was 15 % of the mix.
        if let Some((view, built_at, base)) = cached_view.as_ref()
            && *base == state.version
            && *built_at <= now
            && view.next_due.is_some_and(|next| now < next)
        {
            return f(view);
        }
        let mut view = state.clone();
        for event in record(&StreamId::Organization(organization), state.version, tx.events) {
            view.apply(&event)?;
        }
        let base = state.version;
        let view = &cached_view.insert((view, now, base)).0;
        f(view)
    }

    /// Runs `attempt` until it commits, decides the work is refused, or has
    /// met other writers `budget` times more, or for `RETRY_TIME` (see `contention.rs`).
    pub(crate) fn contended<T>(&self, budget: u32, mut attempt: impl FnMut() -> Result<T, TxError>) -> Result<T, Error> {
        let mut retries = 0;
        let started = std::time::Instant::now();
        loop {
            match attempt() {
                Ok(done) => return Ok(done),
                Err(TxError::Contended(err)) if retries < budget && started.elapsed() < contention::RETRY_TIME => {
                    retries += 1;
                    self.inner.counters.add(Count::Retry, 1);
                    tracing::debug!(attempt = retries, code = err.code(), "deciding again after another writer's commit");
                    contention::pause(retries);
                }
                Err(TxError::Contended(err)) if budget > 0 => return Err(contention::exhausted(err, retries + 1)),
                Err(err) => return Err(err.into_error()),
            }
        }
    }

    /// Decides `work` as `actor` (after what fell due) and commits the
    /// result atomically: load, decide, commit, fold. Returns the number of
    /// events committed and the outcomes (each row's own, for rows).
    pub(crate) fn transact(
        &self,
        organization: OrganizationId,
        actor: Actor,
        idempotency: Option<(String, String)>,
        work: Work<'_>,
    ) -> Result<(usize, Vec<Result<Outcome, Error>>), TxError> {
        let slot = self.slot(organization)?;
        let mut guard = lock(&slot)?;
        // A write moves the state on: the queries' view of it is done with.
        let Cached { state: cached, view, snapshot: mark } = &mut *guard;
        *view = None;
        self.refresh(organization, cached, mark)?;
        let state = cached.as_ref().ok_or_else(|| Error::not_found("organization", organization))?;
        if let Actor::User(user) = actor
            && (user.organization() != organization || !state.users.contains_key(&user))
        {
            return Err(Error::not_found("user", user).into());
        }
        let free = self.free_keys(work.key_demand(&self.inner.catalog))?;
        let now = self.now_for(state, actor)?;
        let stream = StreamId::Organization(organization);
        let base_version = state.version;

        // What fell due is applied to the cached state in place rather than to
        // a copy of it; if the commands then fail, the cache, now ahead of the
        // store, is dropped and reloaded on next use.
        let (due_events, due_mails) = {
            let mut tx = Tx::new(state, &self.inner.catalog, now, Actor::Clock);
            collect_due(&mut tx);
            (tx.events, tx.mails)
        };
        if due_events.is_empty() {
            return self.decide_and_commit((cached, mark), now, actor, idempotency, free, base_version, (Vec::new(), Vec::new()), work);
        }
        let due = record(&stream, base_version, due_events);
        let result = match cached.as_mut() {
            Some(ahead) => due.iter().try_for_each(|event| ahead.apply(event)).map_err(TxError::from),
            None => Err(Error::storage("cache lost during catch-up").into()),
        }
        .and_then(|()| self.decide_and_commit((cached, mark), now, actor, idempotency, free, base_version, (due, due_mails), work));
        // A dry run commits nothing, not even what fell due: the cache, ahead
        // of the store, is dropped as after a failure.
        if result.is_err() || work.is_dry_run() {
            *cached = None;
        }
        result
    }

    /// Decides the commands on the cached state (already caught up with the
    /// `due` events) and commits them with `due` in one commit.
    #[allow(clippy::too_many_arguments)]
    fn decide_and_commit(
        &self,
        (cached, mark): (&mut Option<OrganizationState>, &mut SnapshotMark),
        now: Timestamp,
        actor: Actor,
        idempotency: Option<(String, String)>,
        free: BTreeMap<Code, u64>,
        base_version: u64,
        (due, due_mails): (Vec<RecordedEvent>, Vec<Mail>),
        work: Work<'_>,
    ) -> Result<(usize, Vec<Result<Outcome, Error>>), TxError> {
        let state = cached.as_ref().ok_or_else(|| Error::storage("cache lost during commit"))?;
        let organization = state.id;
        let stream = StreamId::Organization(organization);
        let decided = {
            let mut decider = Decider {
                catalog: &self.inner.catalog,
                templates: &self.inner.templates,
                state: Cow::Borrowed(state),
                now,
                actor,
                events: due,
                mails: due_mails,
                claims: Vec::new(),
            };
            let outcomes = decider.run(work, &free)?;
            let Decider { state, events, mails, claims, .. } = decider;
            Decided {
                outcomes,
                events,
                mails,
                claims,
                state: match state {
                    Cow::Owned(s) => Some(s),
                    Cow::Borrowed(_) => None,
                },
            }
        };
        if decided.events.is_empty() || work.is_dry_run() {
            return Ok((0, decided.outcomes));
        }
        let count = decided.events.len();
        let idempotency = match (idempotency, decided.outcomes.first()) {
            (Some((key, request)), Some(Ok(outcome))) => Some(IdempotencyRecord {
                organization,
                key,
                request,
                outcome: serde_json::to_string(outcome).map_err(|e| Error::storage(e.to_string()))?,
            }),
            _ => None,
        };

        // The new events are folded into the cached state before the commit,
        // so that they can be moved into it rather than copied (a copy of
        // every event, with a purchase's whole package template, per
        // command). The cache is taken out meanwhile: if the commit fails it
        // stays empty and is reloaded from the store on next use.
        let mut next = match decided.state {
            Some(state) => {
                *cached = None;
                state
            }
            None => cached.take().ok_or_else(|| Error::storage("cache lost during commit"))?,
        };
        let first_new = next.version;
        for event in decided.events.iter().filter(|e| e.version > first_new) {
            next.apply(event)?;
        }
        let appends = vec![Append { stream: stream.clone(), expected_version: base_version, events: decided.events }];
        {
            let _span = tracing::debug_span!("commit", organization = %organization, events = count).entered();
            if let Err(err) =
                self.inner.store.commit(Commit { appends, mail: decided.mails, keys: Vec::new(), claims: decided.claims, idempotency })
            {
                tracing::debug!(code = err.code(), "commit refused");
                // A conflict of the commit is another writer's doing (a stream
                // moved), and so are keys that ran out after they were
                // counted (another purchase claimed them): worth deciding
                // again, on what is left. Every other error is final.
                return Err(match err {
                    Error::Conflict { .. } | Error::CapacityExhausted { .. } => {
                        self.inner.counters.add(Count::Conflict, 1);
                        TxError::Contended(err)
                    }
                    other => TxError::Failed(other),
                });
            }
            tracing::debug!("committed");
        }

        self.maybe_snapshot(&stream, &next, mark);
        *cached = Some(next);
        Ok((count, decided.outcomes))
    }

    /// Keeps a snapshot when enough history followed the last one (see
    /// [`CenterOptions`]), and moves `mark` to it.
    fn maybe_snapshot(&self, stream: &StreamId, state: &OrganizationState, mark: &mut SnapshotMark) {
        if self.inner.options.snapshot_due(state.version.saturating_sub(mark.version), mark.bytes) {
            self.write_snapshot(stream, state, mark);
        }
    }

    /// Writes a snapshot of `state` and moves `mark` to it.
    fn write_snapshot(&self, stream: &StreamId, state: &OrganizationState, mark: &mut SnapshotMark) {
        if let Ok(json) = crate::record::encode_snapshot(state) {
            // The mark moves even if the store fails to keep it: the cost of
            // serializing was paid, and retrying on every commit would not be
            // amortized. A snapshot is a cache: failing to write one loses nothing.
            *mark = SnapshotMark { version: state.version, bytes: json.len() as u64 };
            let _ = self.inner.store.save_snapshot(Snapshot { stream: stream.clone(), version: state.version, state: json });
        }
    }

    /// Puts keys into a product's pool and vault (program side).
    pub(crate) fn stock(&self, product: &Code, keys: Vec<LicenseKey>) -> Result<u64, Error> {
        let count = u32::try_from(keys.len()).map_err(|_| Error::invalid("keys", "too many keys in one call"))?;
        if count == 0 {
            return Err(Error::invalid("keys", "give at least one key"));
        }
        // A key is issued once (B7): the same key twice in one call is refused
        // here; a key already in any pool is refused by the store, in the commit.
        let mut seen = std::collections::HashMap::with_capacity(keys.len());
        for (position, key) in keys.iter().enumerate() {
            if let Some(first) = seen.insert(key.reveal(), position) {
                return Err(Error::invalid("keys", format!("keys {} and {} given are the same key", first + 1, position + 1)));
            }
        }
        let stream = StreamId::KeyPool(product.clone());
        let mut last = Error::conflict("the key pool kept changing");
        for _ in 0..5 {
            let pool = self.pool(product)?;
            // Read before the commit, so that once the keys are stocked
            // nothing can fail: the count is as of then, plus these keys.
            let free = self.inner.store.free_keys(product, u64::MAX)?;
            let event = Event::KeysStocked { first: pool.stocked, count };
            let events = record(&stream, pool.version, vec![(self.command_time()?, Actor::Program, event)]);
            let vault = keys
                .iter()
                .enumerate()
                .map(|(i, key)| VaultKey { product: product.clone(), slot: pool.stocked + i as u64, key: key.clone() })
                .collect();
            match self.inner.store.commit(Commit {
                appends: vec![Append { stream: stream.clone(), expected_version: pool.version, events }],
                keys: vault,
                ..Commit::default()
            }) {
                Ok(()) => return Ok(free + u64::from(count)),
                Err(err @ Error::Conflict { .. }) => last = err,
                Err(err) => return Err(err),
            }
        }
        Err(last)
    }

    /// Sets a stored idempotency record aside for a repeat, or says none exists.
    pub(crate) fn idempotent_repeat(&self, organization: OrganizationId, key: &str, request: &str) -> Result<Option<Outcome>, Error> {
        match self.inner.store.idempotency(organization, key)? {
            None => Ok(None),
            Some(record) if record.request == request => serde_json::from_str(&record.outcome)
                .map(Some)
                .map_err(|e| Error::storage(format!("idempotency record does not load: {e}"))),
            Some(_) => Err(Error::conflict(format!("idempotency key `{key}` was used for a different command"))),
        }
    }
}
