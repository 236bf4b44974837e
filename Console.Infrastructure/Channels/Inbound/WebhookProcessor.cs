using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Live;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Channels.Inbound;

/// <summary>Thrown while applying a delivery when it should be tried again shortly (e.g. a status for a send not yet recorded).</summary>
public sealed class RetryDeliveryException(string reason, TimeSpan after) : Exception(reason)
{
    public TimeSpan After { get; } = after;
}

/// <summary>How a batch went: how many deliveries it handled, and whether it had to be redone one delivery at a time.</summary>
public readonly record struct BatchResult(int Handled, bool OneByOne);

/// <summary>
/// Applies stored webhook deliveries: contacts, conversations, messages, statuses. Each delivery is claimed with
/// FOR UPDATE SKIP LOCKED and applied in one transaction, so any number of workers on any number of nodes can run
/// and a crash leaves the delivery pending for the next one. Every write is idempotent (unique indexes on channel +
/// external id), so a replayed or re-delivered delivery changes nothing twice.
/// </summary>
public sealed class WebhookProcessor(
    ContextScopes scopes,
    SystemEventWriter systemEvents,
    Agent.AgentBuffers agentBuffers,
    Reminders.AppointmentReplies appointmentReplies,
    IngestPressure pressure,
    TimeProvider clock,
    ILogger<WebhookProcessor> log)
{
    /// <summary>
    /// Claims up to <paramref name="max"/> due deliveries and applies them in one transaction: the claim, the reads
    /// (<see cref="InboundLookups"/>: five set-based queries for the whole batch), the save and the commit are paid once
    /// per batch instead of once per delivery. If any of them fails, the whole batch is rolled back and each delivery is
    /// processed on its own, so one bad delivery cannot hold up or change the outcome of the others. Returns how many
    /// deliveries were handled.
    /// </summary>
    public async Task<BatchResult> ProcessBatchAsync(int max, CancellationToken ct)
    {
        var notices = new List<(Severity Severity, TextRef Message, Guid? TenantId, string? Details)>();
        List<Guid> ids;
        await using (var work = scopes.ForSystem("webhook processing batch"))
        {
            var db = work.Db;
            var now = clock.GetUtcNow();
            await using var claim = await ClaimAsync(db, now, max, null, ct);
            var claimed = claim.Rows;
            if (claimed.Count == 0) return new BatchResult(0, false);
            pressure.Report(now - claimed.Min(d => d.NextAttemptAt ?? d.ReceivedAt));
            ids = claimed.Select(d => d.Id).ToList();
            using var activity = Current(await StartProcessingAsync(db, ids, ct));
            // A batch of one takes this path too: only a failure sends it (once more) through ProcessNextAsync.
            try
            {
                var parsed = claimed.Select(d => (Delivery: d, Events: InboundParsers.Parse(d.Source, d.Body))).ToList();
                var lookups = await InboundLookups.LoadAsync(db, parsed.SelectMany(p => p.Events).ToList(), ct);
                var processed = new List<Guid>();
                foreach (var (delivery, events) in parsed)
                {
                    // Statuses often outrun the recording of the send they are about: that delivery alone waits.
                    if (StatusTooEarly(lookups, delivery, events) is { } wait)
                    {
                        db.Attach(delivery).Entity.MarkAttemptFailed(wait.Message, now, wait.After);
                        continue;
                    }
                    var unroutable = await ApplyAsync(db, lookups, delivery, events, notices, ct);
                    if (unroutable.Count == 0) processed.Add(delivery.Id);
                    else db.Attach(delivery).Entity.MarkProcessed(unroutable, now);
                }
                await db.SaveChangesAsync(ct);
                await MarkProcessedAsync(db, processed, now, ct);
                await claim.CommitAsync(ct);
                foreach (var n in notices) await systemEvents.WriteAsync(n.Severity, "webhooks", n.Message, n.TenantId, n.Details, ct);
                return new BatchResult(claimed.Count, false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogDebug(ex, "A batch of {Count} deliveries failed; processing them one by one", claimed.Count);
            }
            await claim.RollbackAsync(CancellationToken.None);
        }
        foreach (var id in ids) await ProcessNextAsync(ct, id);
        return new BatchResult(ids.Count, true);
    }

    /// <summary>Claims and applies one due delivery (or the given one). Returns false when there was nothing to do.</summary>
    public async Task<bool> ProcessNextAsync(CancellationToken ct, Guid? only = null)
    {
        var notices = new List<(Severity Severity, TextRef Message, Guid? TenantId, string? Details)>();
        Guid deliveryId;
        string? failure = null;
        TimeSpan? retryIn = null;

        await using (var work = scopes.ForSystem("webhook processing"))
        {
            var db = work.Db;
            var now = clock.GetUtcNow();
            await using var claim = await ClaimAsync(db, now, 1, only, ct);
            if (claim.Rows.Count == 0) return false;
            var delivery = claim.Rows[0];
            deliveryId = delivery.Id;
            using var activity = Current(await StartProcessingAsync(db, [delivery.Id], ct));
            try
            {
                var events = InboundParsers.Parse(delivery.Source, delivery.Body);
                var lookups = await InboundLookups.LoadAsync(db, events, ct);
                if (StatusTooEarly(lookups, delivery, events) is { } wait) throw wait;
                var unroutable = await ApplyAsync(db, lookups, delivery, events, notices, ct);
                db.Attach(delivery).Entity.MarkProcessed(unroutable, now);
                await db.SaveChangesAsync(ct);
                await claim.CommitAsync(ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failure = ex is WebhookFormatException or RetryDeliveryException ? ex.Message : ex.ToString();
                retryIn = (ex as RetryDeliveryException)?.After;
                if (ex is DbUpdateException dbx && (dbx.IsUniqueViolation() || dbx is DbUpdateConcurrencyException))
                    retryIn = TimeSpan.FromMilliseconds(200); // lost a race with a concurrent delivery: the retry sees its rows
                await claim.RollbackAsync(CancellationToken.None);
                notices.Clear();
            }
        }

        if (failure is not null)
        {
            // Record the failed attempt in its own transaction: the delivery stays durable and visible.
            await using var work = scopes.ForSystem("webhook processing failure");
            var delivery = await work.Db.WebhookDeliveries.SingleAsync(d => d.Id == deliveryId, ct);
            delivery.MarkAttemptFailed(failure, clock.GetUtcNow(), retryIn);
            await work.Db.SaveChangesAsync(ct);
            if (retryIn is null) log.LogWarning("Webhook delivery {DeliveryId} failed (attempt {Attempt}): {Error}", deliveryId, delivery.Attempts, failure);
            if (delivery.State == DeliveryState.Failed)
                await systemEvents.WriteAsync(Severity.Error, "webhooks", new TextRef("SystemEvent.DeliveryParked", $"Webhook delivery {deliveryId} failed {delivery.Attempts} times and was parked",
                        deliveryId.ToString(), delivery.Attempts.ToString(CultureInfo.InvariantCulture)),
                    null, failure, ct);
            return true;
        }

        foreach (var n in notices) await systemEvents.WriteAsync(n.Severity, "webhooks", n.Message, n.TenantId, n.Details, ct);
        return true;
    }

    /// <summary>
    /// <see cref="WebhookDelivery.MarkProcessed"/> with no unroutable ids, for a whole batch in one statement: tracking
    /// each delivery (EF Core copies and compares every body) and updating it alone took a good part of a batch's CPU.
    /// </summary>
    private static async Task MarkProcessedAsync(AppDbContext db, List<Guid> ids, DateTimeOffset now, CancellationToken ct)
    {
        if (ids.Count == 0) return;
        await db.WebhookDeliveries.Where(d => ids.Contains(d.Id)).ExecuteUpdateAsync(set => set
            .SetProperty(d => d.State, DeliveryState.Processed)
            .SetProperty(d => d.Attempts, d => d.Attempts + 1)
            .SetProperty(d => d.ProcessedAt, now)
            .SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null)
            .SetProperty(d => d.LastError, (string?)null)
            .SetProperty(d => d.UnroutableIds, Array.Empty<string>()), ct);
    }

    // {0} now, {1} one delivery only (or null), {2} batch size. The state is a literal: the pending partial index names it.
    private const string ClaimDueDeliveriesSql = $$"""
        SELECT * FROM webhook_deliveries
        WHERE state = '{{nameof(DeliveryState.Pending)}}' AND next_attempt_at <= {0} AND ({1}::uuid IS NULL OR id = {1}::uuid)
        ORDER BY next_attempt_at LIMIT {2} FOR UPDATE SKIP LOCKED
        """;

    /// <summary>
    /// Locks up to <paramref name="max"/> due deliveries (or just <paramref name="only"/>) for this transaction. They are
    /// read untracked: an outcome other than "processed" is written by attaching the delivery.
    /// </summary>
    /// <summary>
    /// A <c>webhook.process</c> span linked to each delivery's <c>webhook.ingest</c> span (stored with the row at intake):
    /// the deliveries of a batch came from many requests, so they are links, not one parent. Only when traces are recorded.
    /// </summary>
    private static async Task<Activity?> StartProcessingAsync(AppDbContext db, List<Guid> ids, CancellationToken ct)
    {
        if (!Telemetry.ConsoleTelemetry.Source.HasListeners()) return null;
        var parents = await db.Database.SqlQuery<string>($"SELECT trace_parent AS \"Value\" FROM webhook_deliveries WHERE id = ANY({ids}) AND trace_parent IS NOT NULL")
            .ToListAsync(ct);
        var links = parents.Select(p => ActivityContext.TryParse(p, null, out var context) ? new ActivityLink(context) : default)
            .Where(l => l.Context != default).ToList();
        var activity = Telemetry.ConsoleTelemetry.Source.StartActivity("webhook.process", System.Diagnostics.ActivityKind.Consumer, parentContext: default, links: links);
        activity?.SetTag("console.deliveries", ids.Count);
        return activity;
    }

    /// <summary>
    /// Makes the processing span current for the caller: set inside the async starter it would not flow back out of it,
    /// and the messages stored under it must carry it (the agent turn links to them).
    /// </summary>
    private static Activity? Current(Activity? activity)
    {
        if (activity is not null) Activity.Current = activity;
        return activity;
    }

    private static Task<Claim<WebhookDelivery>> ClaimAsync(AppDbContext db, DateTimeOffset now, int max, Guid? only, CancellationToken ct)
    {
        // The raw delivery was committed durably at intake. If this commit were lost in a database crash the
        // delivery would simply be Pending again and be re-applied (every write is idempotent), so this
        // transaction need not wait for the WAL flush.
        // The planner's row count for the pending index lags behind a burst (statistics are refreshed later), and with
        // few rows expected it reads every due delivery, body and all, and sorts them to keep the first few: 39 ms
        // (sorting on disk) with 9,450 waiting, where walking the index in order stops after the batch: 0.25 ms. This
        // transaction reads only by keys after the claim, so a bitmap scan is never the better plan in it.
        // A null parameter carries no type: the casts let PostgreSQL compare it.
        return db.ClaimAsync<WebhookDelivery>(SqlText.With(ClaimDueDeliveriesSql, now, only, max), ct,
            "SET LOCAL synchronous_commit TO OFF; SET LOCAL enable_bitmapscan TO OFF", track: false);
    }

    private async Task<IReadOnlyCollection<string>> ApplyAsync(AppDbContext db, InboundLookups lookups, WebhookDelivery delivery,
        IReadOnlyList<InboundEvent> events, List<(Severity, TextRef, Guid?, string?)> notices, CancellationToken ct)
    {
        var unroutable = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (e is InboundTemplateStatus review)
            {
                // Not about a conversation: no channel by phone number, nothing unroutable to keep for later.
                await Templates.WhatsAppTemplates.ApplyStatusAsync(db, review.ChannelExternalId, review.TemplateId, review.Name, review.Language,
                    review.Status, review.Reason, delivery.RouteTenantId, clock.GetUtcNow(), ct);
                continue;
            }
            var channel = RoutedChannel(lookups, delivery, e);
            if (channel is null)
            {
                unroutable.Add(e.ChannelExternalId);
                continue;
            }
            // What changed is recorded by the messages and conversations themselves and announced after the commit.
            _ = e switch
            {
                InboundMessage m => await ApplyMessageAsync(db, lookups, channel, m, ct),
                InboundEcho echo => await ApplyEchoAsync(db, lookups, channel, echo, delivery.Attempts, ct),
                InboundStatus s => ApplyStatus(lookups, channel, s),
                InboundWatermark w => await ApplyWatermarkAsync(db, lookups, channel, w, ct),
                InboundReaction r => ApplyReaction(db, lookups, channel, r),
                InboundDeletion d => ApplyDeletion(lookups, channel, d),
                InboundChannelError err => Notice(notices, channel, err),
                _ => null,
            };
        }
        if (unroutable.Count > 0)
        {
            var ids = string.Join(", ", unroutable);
            notices.Add((Severity.Warning, new TextRef("SystemEvent.Unroutable",
                $"Webhook for {ids} ({delivery.Source}): no tenant has connected it; kept and processed when it is", ids, delivery.Source.ToString()),
                delivery.RouteTenantId, $"delivery {delivery.Id}"));
        }
        return unroutable;
    }

    /// <summary>
    /// A status can outrun the recording of the send's id: the delivery then waits a few seconds, a few times, before
    /// anything of it is applied (a batch sets just that delivery aside). After that it is about a message we never sent.
    /// </summary>
    private static RetryDeliveryException? StatusTooEarly(InboundLookups lookups, WebhookDelivery delivery, IReadOnlyList<InboundEvent> events)
    {
        if (delivery.Attempts >= 3) return null;
        foreach (var s in events.OfType<InboundStatus>())
        {
            if (RoutedChannel(lookups, delivery, s) is { } channel && lookups.Message(channel, s.MessageExternalId) is null
                && lookups.Ours(channel, s.OurMessageId) is null)
                return new RetryDeliveryException($"Status for unknown message {s.MessageExternalId}", TimeSpan.FromSeconds(3));
        }
        return null;
    }

    /// <summary>The event's channel, if connected; a tenant's own endpoint may only feed that tenant's channels, whatever the body claims.</summary>
    private static Channel? RoutedChannel(InboundLookups lookups, WebhookDelivery delivery, InboundEvent e) =>
        lookups.Channel(e.Channel, e.ChannelExternalId) is { } channel && (delivery.RouteTenantId is not { } route || channel.TenantId == route)
            ? channel : null;

    private static Guid? Notice(List<(Severity, TextRef, Guid?, string?)> notices, Channel channel, InboundChannelError err)
    {
        notices.Add((Severity.Warning, new TextRef("SystemEvent.ChannelError", $"{channel.Kind} {channel.ExternalId} reported error {err.Code}: {err.Title}",
            channel.Kind.ToString(), channel.ExternalId, err.Code, err.Title), channel.TenantId, err.Details));
        return null;
    }

    private async Task<Guid?> ApplyMessageAsync(AppDbContext db, InboundLookups lookups, Channel channel, InboundMessage m, CancellationToken ct)
    {
        if (lookups.Message(channel, m.ExternalId) is not null) return null; // a re-delivery
        var now = clock.GetUtcNow();
        var contact = FindOrCreateContact(db, lookups, channel, m.Customer, now);
        var conversation = OpenConversation(db, lookups, channel, contact, now);
        conversation.SetExternalThread(m.ChannelConversationId);
        var payload = WithMedia(m.PayloadJson, m.Media);
        var message = Message.Inbound(conversation, m.ExternalId, m.Type, m.Text, payload, m.SentAt, now, m.ReplyToExternalId);
        if (m.Media is { MediaId: not null } or { Url: not null }) message.ExpectMedia();
        db.Messages.Add(message);
        lookups.Remember(message);
        conversation.RecordInbound(m.SentAt, channel.Kind, m.FromAd, m.Text ?? $"[{m.Type}]");
        contact.Seen(m.SentAt);
        // A reminder's Confirm / Cancel tap is answered here; the agent does not answer it a second time.
        if (await appointmentReplies.TryApplyAsync(db, channel, contact, conversation, m.PayloadJson, now, ct)) return conversation.Id;
        // The tenant's buffer: a burst of messages inside it gets one answer.
        conversation.ScheduleAgentTurn(now + await agentBuffers.GetAsync(channel.TenantId, ct));
        return conversation.Id;
    }

    private async Task<Guid?> ApplyEchoAsync(AppDbContext db, InboundLookups lookups, Channel channel, InboundEcho echo, int attempts,
        CancellationToken ct)
    {
        if (lookups.Message(channel, echo.ExternalId) is not null) return null; // our own send, already recorded
        if (lookups.Ours(channel, echo.OurMessageId) is { } ours) return Reconcile(lookups, ours, echo.ExternalId) ? ours.ConversationId : null;
        var now = clock.GetUtcNow();
        var contact = FindOrCreateContact(db, lookups, channel, echo.Customer, now);
        var conversation = OpenConversation(db, lookups, channel, contact, now);
        // The echo of our own send can arrive before the send call returns its id: wait for in-flight sends first.
        var inFlight = await db.Messages.AnyAsync(x => x.ConversationId == conversation.Id && x.Direction == MessageDirection.Outbound
            && x.Status == DeliveryStatus.Queued && x.ExternalId == null, ct);
        if (inFlight && attempts < 3) throw new RetryDeliveryException("Echo may belong to a send in flight", TimeSpan.FromSeconds(5));

        conversation.SetExternalThread(echo.ChannelConversationId);
        var message = Message.Echo(conversation, echo.ExternalId, echo.Type, echo.Text, echo.PayloadJson, echo.SentAt, now);
        db.Messages.Add(message);
        lookups.Remember(message);
        conversation.RecordOutbound(echo.SentAt, echo.Text);
        if (conversation.Owner != ConversationOwner.Human || conversation.HandoffReason != HandoffReason.HumanReplied)
        {
            conversation.HumanRepliedElsewhere();
            db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.BotPaused, null,
                "A person replied from another app: the bot is paused for this conversation.", null, now));
        }
        return conversation.Id;
    }

    private Guid? ApplyStatus(InboundLookups lookups, Channel channel, InboundStatus s)
    {
        var message = lookups.Message(channel, s.MessageExternalId);
        // Not known by its wamid but naming our send: the send whose outcome a crash (or a timeout) left unknown.
        if (message is null && lookups.Ours(channel, s.OurMessageId) is { } ours && Reconcile(lookups, ours, s.MessageExternalId)) message = ours;
        // Still unknown after StatusTooEarly's retries: a status about a message we never sent (or about an earlier,
        // duplicate send of a message since sent again, which is its own row already).
        return message is not null && message.AdvanceStatus(s.Status, s.ErrorCode, s.ErrorText) ? message.ConversationId : null;
    }

    /// <summary>
    /// A status or echo names our message whose send has no recorded outcome: the channel accepted it, so it is sent,
    /// with the channel's id, and is not sent again. Returns false when the message already has an outcome (the echo of
    /// a send recorded meanwhile, or of the first of two sends after the window ran out: never a second row).
    /// </summary>
    private bool Reconcile(InboundLookups lookups, Message ours, string externalId)
    {
        if (ours.Status != DeliveryStatus.Queued || ours.ExternalId is not null)
        {
            if (ours.ExternalId != externalId)
                log.LogWarning("Message {MessageId} was sent as {ExternalId}; the channel also reports {OtherExternalId} for it (an earlier send " +
                    "whose outcome was unknown): kept as one message", ours.Id, ours.ExternalId, externalId);
            return false;
        }
        ours.MarkSent(externalId);
        lookups.Remember(ours);
        log.LogInformation("Message {MessageId} reconciled as {ExternalId}: the channel reported the send whose outcome was unknown", ours.Id, externalId);
        return true;
    }

    private static async Task<Guid?> ApplyWatermarkAsync(AppDbContext db, InboundLookups lookups, Channel channel, InboundWatermark w,
        CancellationToken ct)
    {
        var contact = lookups.Contact(channel, w.Customer);
        if (contact is null) return null;
        // The query below reads stored rows: store what earlier events of the batch added first.
        if (db.ChangeTracker.HasChanges()) await db.SaveChangesAsync(ct);
        var conversationIds = db.Conversations.Where(c => c.ChannelId == channel.Id && c.ContactId == contact.Id).Select(c => c.Id);
        var messages = await db.Messages
            .Where(x => conversationIds.Contains(x.ConversationId) && x.Direction == MessageDirection.Outbound && x.Status < w.Status
                && x.Status != DeliveryStatus.Failed && x.ExternalId != null
                && (x.SentAt <= w.Watermark || w.MessageExternalIds.Contains(x.ExternalId!)))
            .ToListAsync(ct);
        Guid? changed = null;
        foreach (var message in messages)
            if (message.AdvanceStatus(w.Status)) changed = message.ConversationId;
        return changed;
    }

    private Guid? ApplyReaction(AppDbContext db, InboundLookups lookups, Channel channel, InboundReaction r)
    {
        if (lookups.Message(channel, r.ExternalId) is not null) return null;
        var now = clock.GetUtcNow();
        var contact = FindOrCreateContact(db, lookups, channel, r.Customer, now);
        var conversation = OpenConversation(db, lookups, channel, contact, now);
        var payload = JsonSerializer.Serialize(new { target = r.TargetExternalId, emoji = r.Emoji });
        var message = Message.Inbound(conversation, r.ExternalId, MessageType.Reaction, r.Emoji, payload, r.At, now, r.TargetExternalId);
        db.Messages.Add(message);
        lookups.Remember(message);
        return conversation.Id;
    }

    private static Guid? ApplyDeletion(InboundLookups lookups, Channel channel, InboundDeletion d)
    {
        var message = lookups.Message(channel, d.MessageExternalId);
        message?.MarkDeletedByCustomer(d.At);
        return message?.ConversationId;
    }

    private static Contact FindOrCreateContact(AppDbContext db, InboundLookups lookups, Channel channel, CustomerRef customer, DateTimeOffset now)
    {
        var contact = lookups.Contact(channel, customer);
        if (contact is not null)
        {
            if (contact.Name is null && !string.IsNullOrWhiteSpace(customer.ProfileName)) contact.UpdateProfile(customer.ProfileName, null, null);
        }
        else
        {
            var phone = InboundLookups.Identities(customer).FirstOrDefault(i => i.Kind == IdentityKind.WaId).Value;
            contact = Contact.Create(channel.TenantId, customer.ProfileName, phone, now);
            db.Contacts.Add(contact);
            db.Raise(new Domain.Revenue.LeadCreated(channel.TenantId, contact.Id, "message"));
        }
        // Keep every identity we learn (a BSUID arriving for a known wa_id, and the other way round).
        foreach (var (kind, value) in InboundLookups.Identities(customer))
            if (!contact.Identities.Any(i => i.ChannelId == channel.Id && i.Kind == kind && i.Value == value))
                db.ContactIdentities.Add(contact.AddIdentity(channel.Id, kind, value));
        lookups.Remember(contact);
        return contact;
    }

    /// <summary>The contact's open conversation on this channel; a resolved one is closed for good and a new one starts.</summary>
    private static Conversation OpenConversation(AppDbContext db, InboundLookups lookups, Channel channel, Contact contact, DateTimeOffset now)
    {
        if (lookups.OpenConversation(contact, channel) is { } open) return open;
        var conversation = Conversation.Start(channel.TenantId, channel.Id, contact.Id, now);
        db.Conversations.Add(conversation);
        db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.Created, null, null, null, now));
        lookups.Remember(conversation);
        return conversation;
    }

    private static string? WithMedia(string? payloadJson, MediaRef? media)
    {
        if (media is null) return payloadJson;
        var node = payloadJson is null ? new System.Text.Json.Nodes.JsonObject() : System.Text.Json.Nodes.JsonNode.Parse(payloadJson) as System.Text.Json.Nodes.JsonObject
            ?? new System.Text.Json.Nodes.JsonObject();
        node["media"] = System.Text.Json.Nodes.JsonNode.Parse(JsonSerializer.Serialize(media, JsonSerializerOptions.Web));
        return node.ToJsonString();
    }
}
