using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Integrations;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Infrastructure.Channels.Inbound;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Leads;
using OperatorConsole.Infrastructure.Scheduling;
using OperatorConsole.Infrastructure.Tenancy;
using OperatorConsole.Infrastructure.Webhooks;

namespace OperatorConsole.Infrastructure.Platform;

/// <summary>The kinds of quarantined work, as the API and the page name them.</summary>
public static class FailedWorkKinds
{
    public const string Webhook = "webhook";
    public const string Turn = "turn";
    public const string Send = "send";
    public const string OutboundWebhook = "outbound_webhook";
    public const string Job = "job";
    public const string Import = "import";

    public static readonly IReadOnlyList<string> All = [Webhook, Turn, Send, OutboundWebhook, Job, Import];

    public static bool IsKnown(string? kind) => kind is not null && All.Contains(kind);
}

/// <summary>One quarantined item: what it is, whose, why it stopped, how often it was tried and when last.</summary>
/// Member-initialised (not positional) so the database can order and count by its members.
public sealed record FailedItem
{
    public string Kind { get; init; } = "";
    public Guid Id { get; init; }
    public Guid? TenantId { get; init; }
    public string? TenantName { get; init; }
    public string Reason { get; init; } = "";
    public int Attempts { get; init; }
    public DateTimeOffset? LastAttemptAt { get; init; }

    /// <summary>The conversation the item belongs to, when it belongs to one (a turn, a send, a scheduled item).</summary>
    public Guid? ConversationId { get; init; }
}

/// <summary>Who reads or acts across tenants: a signed-in super admin (user id, audited entry) or the platform API key (no user).</summary>
public sealed record PlatformActor(Guid? UserId, string Name)
{
    public static PlatformActor PlatformKey { get; } = new(null, "platform-api");
}

public enum FailedWorkOutcome
{
    /// <summary>Retried (back on its real path) or discarded (off the list).</summary>
    Done,

    /// <summary>It exists but is no longer failed (already retried or discarded, maybe by someone else a moment ago): nothing changed.</summary>
    Unchanged,
    NotFound,
}

/// <summary>
/// Failed work across every tenant, in one place for the command center page and the platform API: every quarantined
/// item (unroutable or failed webhook deliveries, turns handed to people after repeated failures, failed sends, failed
/// outbound webhooks, failed scheduled items, failed imports), with retry and discard.
/// <para>
/// Retry puts the item back on its real path (the dispatcher sends the message, the inbox worker processes the delivery,
/// the agent runner takes the turn, the scheduler fires the item, an import worker continues the import): nothing here
/// performs the work itself. Retry and discard lock the item's row first and act only while it is still failed, so a
/// double click or two admins at once change it once and the work is done once. Discard never changes or deletes the
/// failed row (it is the evidence): a <see cref="FailedWorkDiscard"/> marker takes it off the list. Both are audited.
/// </para>
/// </summary>
public sealed class FailedWork(ContextScopes scopes, TimeProvider clock, InboxSignal inbox, OutboundSignal outbound,
    OutboundWebhookSignal outboundWebhooks, ContactImportSignal imports, ScheduledItems scheduled,
    IOptions<OutboundWebhookOptions> webhookOptions, IOptionsMonitor<AgentOptions> agentOptions)
{
    public const int PageSize = 200;
    public const string NotFoundCode = "failed_work.not_found";
    public const string KindCode = "failed_work.kind";

    private static readonly JsonSerializerOptions Pretty = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>How many items of each kind wait (discarded ones not counted).</summary>
    public async Task<IReadOnlyDictionary<string, int>> CountsAsync(PlatformActor actor, CancellationToken ct = default)
    {
        await using var work = await EnterAsync(actor, "command center: failed work", ct);
        var counts = new Dictionary<string, int>();
        foreach (var kind in FailedWorkKinds.All) counts[kind] = await Query(work.Db, kind).CountAsync(ct);
        return counts;
    }

    /// <summary>The newest <see cref="PageSize"/> items of one kind (all kinds when null), newest first.</summary>
    public async Task<IReadOnlyList<FailedItem>> ListAsync(PlatformActor actor, string? kind, CancellationToken ct = default)
    {
        await using var work = await EnterAsync(actor, $"command center: failed work ({kind ?? "all"})", ct);
        var items = new List<FailedItem>();
        foreach (var k in kind is null ? FailedWorkKinds.All : new[] { kind })
            items.AddRange(await Query(work.Db, k).OrderByDescending(i => i.LastAttemptAt).Take(PageSize).ToListAsync(ct));
        var names = await TenantNamesAsync(work.Db, items, ct);
        return items.Select(i => i with { TenantName = i.TenantId is { } t ? names.GetValueOrDefault(t) : null })
            .OrderByDescending(i => i.LastAttemptAt).ToList();
    }

    /// <summary>What was being done, for the detail drawer: the raw delivery, the message, the event body, the item, the import.</summary>
    public async Task<string?> PayloadAsync(PlatformActor actor, string kind, Guid id, CancellationToken ct = default)
    {
        await using var work = await EnterAsync(actor, $"command center: failed {kind} {id} payload", ct);
        var db = work.Db;
        switch (kind)
        {
            case FailedWorkKinds.Webhook:
                var body = await db.WebhookDeliveries.Where(d => d.Id == id).Select(d => d.Body).SingleOrDefaultAsync(ct);
                return body is null ? null : PrettyJson(Encoding.UTF8.GetString(body));
            case FailedWorkKinds.Turn:
                var events = await db.ConversationEvents.AsNoTracking().Where(e => e.ConversationId == id)
                    .OrderByDescending(e => e.CreatedAt).Take(10).Select(e => new { e.CreatedAt, type = e.Type.ToString(), e.Text }).ToListAsync(ct);
                return events.Count == 0 ? null : JsonSerializer.Serialize(events, Pretty);
            case FailedWorkKinds.Send:
                var m = await db.Messages.AsNoTracking().Where(x => x.Id == id)
                    .Select(x => new { x.ConversationId, x.ChannelId, type = x.Type.ToString(), x.Body, x.Payload, x.ErrorCode, x.ErrorText, x.CreatedAt })
                    .SingleOrDefaultAsync(ct);
                return m is null ? null : JsonSerializer.Serialize(m with { Payload = m.Payload is null ? null : PrettyJson(m.Payload) }, Pretty);
            case FailedWorkKinds.OutboundWebhook:
                var evt = await (from d in db.OutboundWebhookDeliveries
                                 join e in db.OutboundWebhookEvents on d.EventId equals e.Id
                                 where d.Id == id
                                 select e.Body).SingleOrDefaultAsync(ct);
                return evt is null ? null : PrettyJson(evt);
            case FailedWorkKinds.Job:
                var item = await db.ScheduledItems.AsNoTracking().Where(x => x.Id == id)
                    .Select(x => new { x.ConversationId, kind = x.Kind.ToString(), x.At, x.Text, x.Outcome, x.CreatedAt, x.SettledAt })
                    .SingleOrDefaultAsync(ct);
                return item is null ? null : JsonSerializer.Serialize(item, Pretty);
            case FailedWorkKinds.Import:
                var import = await db.ContactImports.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, ct);
                if (import is null) return null;
                var rows = await db.ContactImportErrors.AsNoTracking().Where(e => e.ImportId == id).OrderBy(e => e.Row).Take(20)
                    .Select(e => new { e.Row, e.Reason, e.Raw }).ToListAsync(ct);
                return JsonSerializer.Serialize(new
                {
                    import.FileName, import.Total, import.Processed, import.Created, import.Updated, import.Skipped, import.Failed,
                    import.Error, import.CreatedBy, import.CreatedAt, rowErrors = rows,
                }, Pretty);
            default:
                return null;
        }
    }

    public Task<FailedWorkOutcome> RetryAsync(PlatformActor actor, string kind, Guid id, CancellationToken ct = default) =>
        ActAsync(actor, kind, id, retry: true, ct);

    public Task<FailedWorkOutcome> DiscardAsync(PlatformActor actor, string kind, Guid id, CancellationToken ct = default) =>
        ActAsync(actor, kind, id, retry: false, ct);

    private async Task<FailedWorkOutcome> ActAsync(PlatformActor actor, string kind, Guid id, bool retry, CancellationToken ct)
    {
        if (!FailedWorkKinds.IsKnown(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown failed-work kind.");
        var verb = retry ? "retry" : "discard";
        Guid? tenantId;
        bool changed;
        await using (var work = await EnterAsync(actor, $"failed work: {verb} {kind} {id}", ct))
        {
            var db = work.Db;
            var now = clock.GetUtcNow();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            // The row lock serializes every retry and discard of this item (and the workers' own claims of it): whoever
            // comes second sees what the first left, so nothing is requeued (or delivered) twice.
            await db.Database.ExecuteSqlAsync(SqlText.With(LockSql(kind), id), ct);
            var found = await LoadFailedAsync(db, kind, id, ct);
            if (found is null) return FailedWorkOutcome.NotFound;
            tenantId = found.Value.TenantId;
            var active = await db.FailedWorkDiscards.Where(d => d.Kind == kind && d.ItemId == id && d.RevivedAt == null).ToListAsync(ct);
            if (retry)
            {
                changed = found.Value.Failed && Retry(found.Value.Entity, now);
                if (changed) active.ForEach(d => d.Revive(now));
            }
            else
            {
                changed = found.Value.Failed && active.Count == 0;
                if (changed) db.FailedWorkDiscards.Add(FailedWorkDiscard.Create(kind, id, tenantId, actor.UserId, actor.Name, now));
            }
            db.AuditEntries.Add(AuditEntry.Create(null, actor.UserId, actor.Name, $"failed_work.{verb}", kind, id.ToString(),
                JsonSerializer.Serialize(new { tenantId, outcome = changed ? "done" : "unchanged" }), now));
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        if (changed && retry) await WakeAsync(kind, tenantId, id, ct);
        return changed ? FailedWorkOutcome.Done : FailedWorkOutcome.Unchanged;
    }

    private bool Retry(object entity, DateTimeOffset now)
    {
        switch (entity)
        {
            case WebhookDelivery d:
                d.Requeue(now);
                return true;
            case Conversation c:
                return c.RetryFailedTurn(now);
            case Message m:
                return m.RequeueFailedSend(now);
            case OutboundWebhookDelivery o:
                o.Replay(now, TimeSpan.FromHours(webhookOptions.Value.RetryForHours));
                return true;
            case ScheduledItem s:
                return s.RetryFailed(now);
            case ContactImport i:
                return i.RetryFailed();
            default:
                return false;
        }
    }

    /// <summary>Wakes this node's worker for the kind (every node's workers also poll, so another node picks it up too).</summary>
    private async Task WakeAsync(string kind, Guid? tenantId, Guid id, CancellationToken ct)
    {
        switch (kind)
        {
            case FailedWorkKinds.Webhook: inbox.Notify(); break;
            case FailedWorkKinds.Send: outbound.Notify(); break;
            case FailedWorkKinds.OutboundWebhook: outboundWebhooks.Notify(); break;
            case FailedWorkKinds.Import: imports.Wake(); break;
            case FailedWorkKinds.Job when tenantId is { } t: await scheduled.TriggerAsync(t, id, clock.GetUtcNow(), ct); break;
        }
    }

    /// <summary>The item, tracked, whether it is (still) failed, and its tenant; null when there is no such item of that kind.</summary>
    private static async Task<(object Entity, bool Failed, Guid? TenantId)?> LoadFailedAsync(AppDbContext db, string kind, Guid id, CancellationToken ct)
    {
        switch (kind)
        {
            case FailedWorkKinds.Webhook:
                var d = await db.WebhookDeliveries.SingleOrDefaultAsync(x => x.Id == id, ct);
                return d is null ? null : (d, d.State is DeliveryState.Failed or DeliveryState.Unroutable, d.RouteTenantId);
            case FailedWorkKinds.Turn:
                var c = await db.Conversations.SingleOrDefaultAsync(x => x.Id == id, ct);
                return c is null ? null : (c, c.HandoffReason == HandoffReason.RepeatedFailures && !c.IsBotOwned && !c.IsResolved, c.TenantId);
            case FailedWorkKinds.Send:
                var m = await db.Messages.SingleOrDefaultAsync(x => x.Id == id && x.Direction == MessageDirection.Outbound, ct);
                return m is null ? null : (m, m.Status == DeliveryStatus.Failed, m.TenantId);
            case FailedWorkKinds.OutboundWebhook:
                var o = await db.OutboundWebhookDeliveries.SingleOrDefaultAsync(x => x.Id == id, ct);
                return o is null ? null : (o, o.Status == OutboundDeliveryStatus.Failed, o.TenantId);
            case FailedWorkKinds.Job:
                var s = await db.ScheduledItems.SingleOrDefaultAsync(x => x.Id == id, ct);
                return s is null ? null : (s, s.Status == ScheduledItemStatus.Failed, s.TenantId);
            case FailedWorkKinds.Import:
                var i = await db.ContactImports.SingleOrDefaultAsync(x => x.Id == id, ct);
                return i is null ? null : (i, i.Status == ContactImportStatus.Failed, i.TenantId);
            default:
                return null;
        }
    }

    // {0} the item's id. One constant statement per table (a table name cannot be a parameter).
    private static string LockSql(string kind) => kind switch
    {
        FailedWorkKinds.Webhook => "SELECT 1 FROM webhook_deliveries WHERE id = {0} FOR UPDATE",
        FailedWorkKinds.Turn => "SELECT 1 FROM conversations WHERE id = {0} FOR UPDATE",
        FailedWorkKinds.Send => "SELECT 1 FROM messages WHERE id = {0} FOR UPDATE",
        FailedWorkKinds.OutboundWebhook => "SELECT 1 FROM outbound_webhook_deliveries WHERE id = {0} FOR UPDATE",
        FailedWorkKinds.Job => "SELECT 1 FROM scheduled_items WHERE id = {0} FOR UPDATE",
        FailedWorkKinds.Import => "SELECT 1 FROM contact_imports WHERE id = {0} FOR UPDATE",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Every failed item of a kind not set aside, as list rows (one query each, so counting and listing agree).</summary>
    private IQueryable<FailedItem> Query(AppDbContext db, string kind)
    {
        var discards = db.FailedWorkDiscards.Where(x => x.Kind == kind && x.RevivedAt == null);
        switch (kind)
        {
            case FailedWorkKinds.Webhook:
                return db.WebhookDeliveries.AsNoTracking()
                    .Where(d => (d.State == DeliveryState.Failed || d.State == DeliveryState.Unroutable) && !discards.Any(x => x.ItemId == d.Id))
                    .Select(d => new FailedItem { Kind = kind, Id = d.Id, TenantId = d.RouteTenantId, Reason = d.State == DeliveryState.Unroutable ? "Unroutable: no workspace has connected " + string.Join(", ", d.UnroutableIds) : d.Source + ": " + (d.LastError ?? "failed"), Attempts = d.Attempts, LastAttemptAt = d.ProcessedAt ?? d.ReceivedAt });
            case FailedWorkKinds.Turn:
                return db.Conversations.AsNoTracking()
                    .Where(c => c.HandoffReason == HandoffReason.RepeatedFailures && c.Owner != ConversationOwner.Bot && c.Status != ConversationStatus.Resolved
                                && !discards.Any(x => x.ItemId == c.Id))
                    .Select(c => new
                    {
                        c,
                        last = db.ConversationEvents.Where(e => e.ConversationId == c.Id && e.Type == ConversationEventType.HandedOff)
                            .OrderByDescending(e => e.CreatedAt).Select(e => new { e.Text, e.CreatedAt }).FirstOrDefault(),
                    })
                    .Select(x => new FailedItem { Kind = kind, Id = x.c.Id, TenantId = x.c.TenantId, Reason = x.last != null && x.last.Text != null ? x.last.Text : "RepeatedFailures", Attempts = agentOptions.CurrentValue.MaxTurnAttempts, LastAttemptAt = x.last != null ? (DateTimeOffset?)x.last.CreatedAt : x.c.LastMessageAt, ConversationId = x.c.Id });
            case FailedWorkKinds.Send:
                return db.Messages.AsNoTracking()
                    .Where(m => m.Direction == MessageDirection.Outbound && m.Status == DeliveryStatus.Failed && !discards.Any(x => x.ItemId == m.Id))
                    .Select(m => new FailedItem { Kind = kind, Id = m.Id, TenantId = m.TenantId, Reason = (m.ErrorCode ?? "failed") + ": " + (m.ErrorText ?? ""), Attempts = m.Attempts, LastAttemptAt = m.CreatedAt, ConversationId = m.ConversationId });
            case FailedWorkKinds.OutboundWebhook:
                return db.OutboundWebhookDeliveries.AsNoTracking()
                    .Where(d => d.Status == OutboundDeliveryStatus.Failed && !discards.Any(x => x.ItemId == d.Id))
                    .Select(d => new FailedItem { Kind = kind, Id = d.Id, TenantId = d.TenantId, Reason = d.EventType + ": " + (d.ResponseStatus != null ? "HTTP " + d.ResponseStatus + " " : "") + (d.Response ?? ""), Attempts = d.Attempts, LastAttemptAt = d.LastAttemptAt ?? d.CreatedAt });
            case FailedWorkKinds.Job:
                return db.ScheduledItems.AsNoTracking()
                    .Where(s => s.Status == ScheduledItemStatus.Failed && !discards.Any(x => x.ItemId == s.Id))
                    .Select(s => new FailedItem { Kind = kind, Id = s.Id, TenantId = s.TenantId, Reason = s.Kind.ToString() + ": " + (s.Outcome ?? "failed"), Attempts = 1, LastAttemptAt = s.SettledAt ?? s.At, ConversationId = s.ConversationId });
            case FailedWorkKinds.Import:
                return db.ContactImports.AsNoTracking()
                    .Where(i => i.Status == ContactImportStatus.Failed && !discards.Any(x => x.ItemId == i.Id))
                    .Select(i => new FailedItem { Kind = kind, Id = i.Id, TenantId = i.TenantId, Reason = i.FileName + ": " + (i.Error ?? "failed"), Attempts = 1, LastAttemptAt = i.FinishedAt ?? i.CreatedAt });
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    private static async Task<Dictionary<Guid, string>> TenantNamesAsync(AppDbContext db, IEnumerable<FailedItem> items, CancellationToken ct)
    {
        var ids = items.Where(i => i.TenantId is not null).Select(i => i.TenantId!.Value).Distinct().ToList();
        return ids.Count == 0 ? [] : await db.Tenants.AsNoTracking().Where(t => ids.Contains(t.Id)).ToDictionaryAsync(t => t.Id, t => t.Name, ct);
    }

    private async Task<WorkScope> EnterAsync(PlatformActor actor, string reason, CancellationToken ct) =>
        actor.UserId is { } user ? await scopes.ForSuperAdminAsync(user, actor.Name, reason, ct) : scopes.ForSystem(reason);

    /// <summary>JSON indented for reading (the text as is when it is not JSON).</summary>
    public static string PrettyJson(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return JsonSerializer.Serialize(doc.RootElement, Pretty);
        }
        catch (JsonException)
        {
            return text;
        }
    }
}
