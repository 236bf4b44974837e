using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Tenancy;
using Quartz;

namespace OperatorConsole.Infrastructure.Scheduling;

public sealed record ScheduledItemRow(Guid Id, Guid ConversationId, ScheduledItemKind Kind, DateTimeOffset At, string? Text,
    ScheduledItemStatus Status, string? Outcome, Guid? CreatedByMemberId, DateTimeOffset CreatedAt, DateTimeOffset? SettledAt);

/// <summary>
/// Messages and reminders set for a time on a conversation. The row is written (or cancelled) first; a Quartz trigger per
/// due second (<see cref="TriggerKeyFor"/>, shared by every item due in it) then says when to look. Firing claims the due
/// pending rows in batches (FOR UPDATE SKIP LOCKED, one tenant and one transaction per batch, see
/// <see cref="FireDueAsync"/>) and decides each on its row, in that transaction with its effect: a cancelled, already-run
/// or not-yet-due item is not claimed, so a lost, duplicated or stale trigger is harmless, and two nodes firing at once
/// take different rows. A sweep runs items whose trigger was lost. An item found more than
/// <see cref="SchedulerOptions.MaxLateMinutes"/> late (every node was down) is dropped and said so, rather than sending
/// "see you at 9" at noon.
/// </summary>
public sealed class ScheduledItems(ContextScopes scopes, OutboundMessages outbound, SystemEventWriter systemEvents, IServiceProvider services,
    IEnumerable<IScheduledItemRunner> runners, TimeProvider clock, IOptions<SchedulerOptions> options, ILogger<ScheduledItems> log)
{
    private readonly Dictionary<ScheduledItemKind, IScheduledItemRunner> _runners = runners.ToDictionary(r => r.Kind);

    public const string Group = "scheduled-item";
    // Job data of the per-item triggers stored before items shared their second's trigger (still fired after an upgrade).
    internal const string TenantKey = "tenantId";
    internal const string ItemKey = "itemId";

    public async Task<ScheduledItemRow> ScheduleAsync(InboxActor actor, Guid conversationId, ScheduledItemKind kind, DateTimeOffset at, string? text,
        CancellationToken ct = default)
    {
        if (kind is not (ScheduledItemKind.Message or ScheduledItemKind.Reminder))
            throw new DomainException("scheduled.kind", "People schedule a message or a reminder; follow-ups and appointment reminders are set by the workspace.");
        ScheduledItem item;
        await using (var work = scopes.ForTenant(actor.TenantId))
        {
            var db = work.Db;
            var conversation = await db.Conversations.VisibleTo(db, actor.MemberId).SingleOrDefaultAsync(c => c.Id == conversationId, ct)
                ?? throw new DomainException("conversation.not_found", "No such conversation in this workspace.");
            item = ScheduledItem.Schedule(conversation, kind, at, text, actor.MemberId, clock.GetUtcNow());
            if (kind == ScheduledItemKind.Message)
            {
                // Checked now so nobody learns tomorrow that the text could never have gone (too long, wrong shape).
                var channel = await db.Channels.SingleAsync(c => c.Id == conversation.ChannelId, ct);
                OutboundMessages.EnsureValid(channel.Kind, new OutboundContent { Text = item.Text });
            }
            db.ScheduledItems.Add(item);
            db.Raise(new ScheduledItemsChanged(item.TenantId, item.ConversationId));
            await db.SaveChangesAsync(ct);
        }
        await TriggerAsync(item.TenantId, item.Id, item.At, ct);
        return Row(item);
    }

    public async Task<IReadOnlyList<ScheduledItemRow>> ListAsync(InboxActor actor, Guid conversationId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(actor.TenantId);
        var db = work.Db;
        if (!await db.Conversations.VisibleTo(db, actor.MemberId).AnyAsync(c => c.Id == conversationId, ct))
            throw new DomainException("conversation.not_found", "No such conversation in this workspace.");
        var items = await db.ScheduledItems.AsNoTracking().Where(i => i.ConversationId == conversationId)
            // A reminder is its author's own business.
            .Where(i => i.Kind != ScheduledItemKind.Reminder || i.CreatedByMemberId == actor.MemberId || actor.MemberId == null)
            .OrderBy(i => i.At).Take(200).ToListAsync(ct);
        return items.Select(Row).ToList();
    }

    public async Task CancelAsync(InboxActor actor, Guid conversationId, Guid itemId, CancellationToken ct = default)
    {
        await using (var work = scopes.ForTenant(actor.TenantId))
        {
            var db = work.Db;
            var item = await db.ScheduledItems
                .Where(i => i.Id == itemId && i.ConversationId == conversationId
                            && db.Conversations.VisibleTo(db, actor.MemberId).Any(c => c.Id == i.ConversationId))
                .Where(i => i.Kind != ScheduledItemKind.Reminder || i.CreatedByMemberId == actor.MemberId || actor.MemberId == null)
                .SingleOrDefaultAsync(ct) ?? throw new DomainException("scheduled.not_found", "No such scheduled item in this conversation.");
            item.Cancel(actor.MemberId, clock.GetUtcNow());
            db.Raise(new ScheduledItemsChanged(item.TenantId, item.ConversationId));
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateConcurrencyException)
            {
                // It fired (or someone cancelled it) while this request looked at it.
                throw new DomainException("scheduled.not_pending", "This item already ran or was cancelled.");
            }
        }
        // Its second's trigger stays (other items share it): firing, it finds this row cancelled and leaves it.
    }

    /// <summary>
    /// Runs the item if it is still pending and due; false when there was nothing to do (settled, not yet due, or in the
    /// hands of another node's batch right now). The same path as a batch, with a batch of one.
    /// </summary>
    public async Task<bool> FireAsync(Guid tenantId, Guid itemId, CancellationToken ct = default) =>
        (await FireBatchAsync(tenantId, clock.GetUtcNow() + EarlyTolerance, itemId, [], 1, AllKinds, ct)).Ran > 0;

    /// <summary>
    /// What a second's trigger does: every pending item due by now (whatever second it was set for, every tenant), in
    /// batches of <see cref="SchedulerOptions.BatchSize"/> per tenant and transaction, until a claim comes back short.
    /// Returns how many ran. Items another node is running are skipped, not waited for. <paramref name="second"/>: the
    /// second the trigger was for; Quartz may fire a few milliseconds before it, and that second's items are due then
    /// (never more than <see cref="EarlyTolerance"/> ahead of this node's clock, and never an item of a later second).
    /// </summary>
    public Task<int> FireDueAsync(DateTimeOffset? second = null, CancellationToken ct = default) => RunDueAsync(() =>
    {
        var now = clock.GetUtcNow();
        return second is { } s && s > now ? (s < now + EarlyTolerance ? s : now + EarlyTolerance) : now;
    }, ct);

    /// <summary>Pending items more than <paramref name="grace"/> past their time: their trigger was lost. Returns how many ran.</summary>
    public async Task<int> SweepAsync(TimeSpan grace, CancellationToken ct = default)
    {
        var ran = await RunDueAsync(() => clock.GetUtcNow() - grace, ct);
        if (ran > 0) log.LogWarning("{Count} scheduled item(s) had no trigger and ran late from the sweep", ran);
        return ran;
    }

    // Quartz may fire a few milliseconds early; the row's time is the one that counts.
    private static readonly TimeSpan EarlyTolerance = TimeSpan.FromSeconds(1);

    // {0} tenant, {1} due by, {2} only this item (or null), {3} items not to take again in this run, {4} batch size,
    // {5} the kinds to take. RLS scopes the rows to the tenant already; the tenant column says it in the query too.
    private const string ClaimDueSql = $$"""
        SELECT s.*, s.xmin FROM scheduled_items s
        WHERE s.status = '{{nameof(ScheduledItemStatus.Pending)}}' AND s.tenant_id = {0} AND s.at <= {1}
          AND ({2}::uuid IS NULL OR s.id = {2}::uuid) AND NOT (s.id = ANY({3})) AND s.kind = ANY({5})
        ORDER BY s.at LIMIT {4} FOR UPDATE SKIP LOCKED
        """;

    private static readonly string[] AllKinds = Enum.GetNames<ScheduledItemKind>();

    // Kinds whose items run many to a transaction (the console's own, and runners that say so), and kinds whose runner
    // waits on something slow per item (the agent writing a follow-up): those run one per transaction, several at once,
    // so a burst of them (every follow-up held for the morning's opening) is not one long serial transaction.
    private string[] BatchedKinds => _batched ??= AllKinds.Where(k => !_runners.TryGetValue(Enum.Parse<ScheduledItemKind>(k), out var r) || r.RunsInBatches).ToArray();
    private string[] SoloKinds => _solo ??= AllKinds.Except(BatchedKinds).ToArray();
    private string[]? _batched, _solo;
    private const int SoloWorkers = 4;

    private sealed record BatchResult(int Claimed, int Ran, IReadOnlyList<(Guid Item, Exception Error)> Errors)
    {
        public static readonly BatchResult None = new(0, 0, []);
    }

    private async Task<int> RunDueAsync(Func<DateTimeOffset> dueBy, CancellationToken ct)
    {
        List<Guid> tenants;
        await using (var work = scopes.ForSystem("due scheduled items"))
        {
            var until = dueBy();
            tenants = await work.Db.ScheduledItems.AsNoTracking().Where(i => i.Status == ScheduledItemStatus.Pending && i.At <= until)
                .Select(i => i.TenantId).Distinct().ToListAsync(ct);
        }
        var size = Math.Max(1, options.Value.BatchSize);
        var ran = 0;
        var errors = new System.Collections.Concurrent.ConcurrentDictionary<Guid, Exception>();
        // Each tenant's items run under its own scope (RLS), a transaction per batch, until a claim comes back short.
        async Task DrainAsync(Guid tenant, string[] kinds, int batchSize)
        {
            for (var full = true; full;)
            {
                var batch = await FireBatchAsync(tenant, dueBy(), null, errors.Keys.ToArray(), batchSize, kinds, ct);
                Interlocked.Add(ref ran, batch.Ran);
                foreach (var (item, error) in batch.Errors) errors.TryAdd(item, error);
                full = batch.Claimed == batchSize;
            }
        }
        foreach (var tenant in tenants)
        {
            await DrainAsync(tenant, BatchedKinds, size);
            if (SoloKinds.Length > 0) await Task.WhenAll(Enumerable.Range(0, SoloWorkers).Select(_ => DrainAsync(tenant, SoloKinds, 1)));
        }
        if (errors.Count > 0)
        {
            // The others ran; these stay pending (the sweep tries them again) and the job's failure reaches the command center.
            throw new AggregateException($"{errors.Count} scheduled item(s) failed to run: {string.Join(", ", errors.Keys)}", errors.Values);
        }
        return ran;
    }

    /// <summary>
    /// Claims up to <paramref name="size"/> of one tenant's pending items due by <paramref name="dueBy"/> (FOR UPDATE SKIP
    /// LOCKED: another node's batch keeps its own) and runs them in one transaction with their effects. A batch whose
    /// run or save fails is rolled back and its items run one by one, so one bad item does not hold back the others.
    /// </summary>
    private async Task<BatchResult> FireBatchAsync(Guid tenantId, DateTimeOffset dueBy, Guid? only, IReadOnlyList<Guid> skip, int size,
        string[] kinds, CancellationToken ct)
    {
        List<Guid> claimed = [];
        for (var attempt = 1; ; attempt++)
        {
            List<(Guid Item, TextRef Notice)> notices;
            await using (var work = scopes.ForTenant(tenantId))
            {
                var db = work.Db;
                await using var claim = await db.ClaimAsync<ScheduledItem>(SqlText.With(ClaimDueSql, tenantId, dueBy, only, skip.ToArray(), size, kinds), ct);
                if (claim.Rows.Count == 0) return BatchResult.None;
                claimed = claim.Rows.Select(i => i.Id).ToList();
                try
                {
                    notices = await SettleAsync(db, claim.Rows, clock.GetUtcNow(), ct);
                    await db.SaveChangesAsync(ct);
                    await claim.CommitAsync(ct);
                }
                catch (DbUpdateConcurrencyException) when (claimed.Count == 1 && attempt < 3)
                {
                    // Its conversation changed under it (a message came in): look again at what that left.
                    continue;
                }
                catch (Exception ex) when (claimed.Count > 1 && ex is not OperationCanceledException && !DbErrors.IsDatabaseDown(ex))
                {
                    // Rolled back as the claim is disposed: each item again in its own transaction.
                    log.LogWarning(ex, "A batch of {Count} scheduled items failed; running them one by one", claimed.Count);
                    break;
                }
            }
            foreach (var (item, notice) in notices)
                await systemEvents.WriteAsync(Severity.Warning, "scheduler", notice, tenantId, $"item {item}", ct);
            return new BatchResult(claimed.Count, claimed.Count, []);
        }

        var ran = 0;
        List<(Guid Item, Exception Error)> errors = [];
        foreach (var id in claimed)
        {
            try
            {
                ran += (await FireBatchAsync(tenantId, dueBy, id, [], 1, AllKinds, ct)).Ran;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && !DbErrors.IsDatabaseDown(ex))
            {
                log.LogError(ex, "Scheduled item {ItemId} failed to run", id);
                errors.Add((id, ex));
            }
        }
        return new BatchResult(claimed.Count, ran, errors);
    }

    /// <summary>
    /// Decides each claimed item on its row and stages its effect on <paramref name="db"/> (no save): what the items
    /// share (conversations, contacts' opt-out, channels) is read once for the batch, and each workspace-set kind's runner
    /// gets its items together. Returns the sentences for the command center.
    /// </summary>
    private async Task<List<(Guid Item, TextRef Notice)>> SettleAsync(AppDbContext db, IReadOnlyList<ScheduledItem> items, DateTimeOffset now,
        CancellationToken ct)
    {
        var conversationIds = items.Select(i => i.ConversationId).Distinct().ToList();
        var conversations = await db.Conversations.Where(c => conversationIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct);
        var toCustomers = items.Where(i => i.Kind != ScheduledItemKind.Reminder).Select(i => conversations[i.ConversationId].ContactId).Distinct().ToList();
        var optedOut = toCustomers.Count == 0 ? [] : (await db.Contacts.Where(c => toCustomers.Contains(c.Id) && c.OptedOutAt != null)
            .Select(c => c.Id).ToListAsync(ct)).ToHashSet();
        List<(Guid, TextRef)> notices = [];
        List<(ScheduledItem Item, Conversation Conversation)> own = [];
        Dictionary<IScheduledItemRunner, List<(ScheduledItem, Conversation)>> byRunner = [];
        foreach (var item in items)
        {
            var conversation = conversations[item.ConversationId];
            db.Raise(new ScheduledItemsChanged(item.TenantId, item.ConversationId));
            if (item.Kind != ScheduledItemKind.Reminder && optedOut.Contains(conversation.ContactId))
            {
                // The one gate every automated send to a customer passes (messages, follow-ups, appointment reminders):
                // a customer who opted out gets none of them, whatever was set before.
                item.Skip("opted_out", now);
                var why = new TextRef("Scheduled.OptedOut", "Not sent: the customer asked not to receive messages");
                db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.ScheduledFailed, null, why.English,
                    TextRefs.Serialize(why), now));
            }
            else if (_runners.TryGetValue(item.Kind, out var runner))
            {
                // The workspace's own kinds decide for themselves whether they are still worth doing this late.
                if (!byRunner.TryGetValue(runner, out var list)) byRunner[runner] = list = [];
                list.Add((item, conversation));
            }
            else if (now - item.At > TimeSpan.FromMinutes(options.Value.MaxLateMinutes))
            {
                item.Skip("too_late", now);
                var late = new TextRef("SystemEvent.ScheduledTooLate",
                    $"A scheduled {item.Kind} for {item.At:u} was dropped: found {(now - item.At).TotalMinutes:0} minutes late",
                    item.At.ToString("O"), ((int)(now - item.At).TotalMinutes).ToString(System.Globalization.CultureInfo.InvariantCulture));
                db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.ScheduledFailed, null, late.English,
                    Json(new { key = "Scheduled.TooLate", args = Array.Empty<string>(), itemId = item.Id, kind = item.Kind.ToString(), at = item.At }), now));
                notices.Add((item.Id, late));
            }
            else
            {
                own.Add((item, conversation));
            }
        }
        if (own.Count > 0)
        {
            var channelIds = own.Where(o => o.Item.Kind == ScheduledItemKind.Message).Select(o => o.Conversation.ChannelId).Distinct().ToList();
            var channels = channelIds.Count == 0 ? [] : await db.Channels.Where(c => channelIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct);
            foreach (var (item, conversation) in own) Run(db, item, conversation, channels, now);
        }
        foreach (var (runner, due) in byRunner)
            foreach (var (item, notice) in await runner.RunBatchAsync(db, due, now, ct))
                notices.Add((item, notice));
        return notices;
    }

    private void Run(AppDbContext db, ScheduledItem item, Conversation conversation, Dictionary<Guid, Domain.Channels.Channel> channels, DateTimeOffset now)
    {
        switch (item.Kind)
        {
            case ScheduledItemKind.Reminder:
                // A note that mentions its author: it reaches them through the same badge and alert as a colleague's mention.
                db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.Reminder, null, item.Text,
                    Json(new { mentions = new[] { item.CreatedByMemberId }, itemId = item.Id }), now));
                item.Done(null, now);
                break;
            default:
                var channel = channels[conversation.ChannelId];
                try
                {
                    var message = outbound.Stage(db, conversation, channel, MessageSender.Agent, item.CreatedByMemberId,
                        new OutboundContent { Text = item.Text });
                    item.Done(message.Id, now);
                }
                catch (Exception ex) when (ex is WindowClosedException or DomainException)
                {
                    item.Fail(ex is WindowClosedException ? "window_closed" : (ex as DomainException)!.Code, now);
                    var why = new TextRef("Scheduled.NotSent", $"Scheduled message not sent: {ex.Message}", TextRefs.Word(ex) ?? ex.Message);
                    db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.ScheduledFailed, null, why.English,
                        TextRefs.Serialize(why), now));
                }
                break;
        }
    }

    /// <summary>The trigger of the second an item at <paramref name="at"/> is due in: <c>due-yyyyMMddHHmmss</c> (UTC, rounded up).</summary>
    public static TriggerKey TriggerKeyFor(DateTimeOffset at) =>
        new("due-" + SecondOf(at).ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture), Group);

    /// <summary>The whole second at or after <paramref name="at"/> (UTC): its trigger fires once the item is due.</summary>
    public static DateTimeOffset SecondOf(DateTimeOffset at)
    {
        var ticks = at.UtcTicks;
        var rest = ticks % TimeSpan.TicksPerSecond;
        return new DateTimeOffset(rest == 0 ? ticks : ticks - rest + TimeSpan.TicksPerSecond, TimeSpan.Zero);
    }

    /// <summary>The one durable job every due second's trigger fires (registered with the scheduler, see SchedulingServices).</summary>
    public static readonly JobKey DueJob = new("due-items", Group);

    // A second's trigger fires at that second, never before (nodes' clocks agree within this): one known here further
    // ahead than this is still waiting, and will look at every item committed before it fires.
    private static readonly TimeSpan StillAhead = TimeSpan.FromSeconds(5);

    // Seconds whose trigger this process stored or found (as Unix seconds): 10,000 reminders set for one minute are some
    // 60 store calls, not 10,000. Only trusted while the second is more than StillAhead away.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, byte> _triggered = new();

    /// <summary>
    /// Makes sure the trigger of the second a committed pending item is due in exists (one trigger per due second, shared
    /// by its items; the item id is only for the log). Items staged inside another change's transaction call this after
    /// that commit; if it never happens, the sweep runs the item late.
    /// </summary>
    public async Task TriggerAsync(Guid tenantId, Guid itemId, DateTimeOffset at, CancellationToken ct)
    {
        if (services.GetService<ISchedulerFactory>() is not { } factory) return;
        var second = SecondOf(at);
        var now = clock.GetUtcNow();
        var ahead = second - now > StillAhead;
        if (ahead && _triggered.ContainsKey(second.ToUnixTimeSeconds())) return;
        try
        {
            var scheduler = await factory.GetScheduler(ct);
            // After an outage the job looks at the rows and each item decides whether it is still worth doing.
            var trigger = TriggerBuilder.Create().WithIdentity(TriggerKeyFor(second)).ForJob(DueJob).StartAt(second)
                .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow)).Build();
            // Keep: the first item of a second stores its trigger, the others (on any node, at once) find it, under the
            // store's lock. A trigger of that second that already fired (it may have looked before this item committed)
            // is not kept but stored again, so the second is looked at once more after this commit.
            await scheduler.ScheduleTrigger(trigger, TriggerConflict.Keep, ct);
            if (ahead)
            {
                if (_triggered.Count > 100_000) Forget(now);
                _triggered.TryAdd(second.ToUnixTimeSeconds(), 0);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The row is committed; the sweep runs it if this trigger never exists.
            log.LogError(ex, "Could not schedule the trigger of scheduled item {ItemId} (due {At:O})", itemId, at);
        }
    }

    private void Forget(DateTimeOffset now)
    {
        var past = now.ToUnixTimeSeconds();
        foreach (var second in _triggered.Keys)
            if (second <= past) _triggered.TryRemove(second, out _);
    }

    private static string Json(object value) => JsonSerializer.Serialize(value, JsonSerializerOptions.Web);

    private static ScheduledItemRow Row(ScheduledItem i) =>
        new(i.Id, i.ConversationId, i.Kind, i.At, i.Text, i.Status, i.Outcome, i.CreatedByMemberId, i.CreatedAt, i.SettledAt);
}

/// <summary>
/// How a kind of item the workspace schedules itself (appointment reminders, follow-ups) runs when due. Called inside the
/// firing transaction with the pending item and its conversation: stage the send (or skip / fail the item with its
/// reason) on <paramref name="db"/>, settle the item, and do not save. Return a sentence for the command center when
/// the item was dropped or failed in a way operators must hear about, else null.
/// </summary>
public interface IScheduledItemRunner
{
    ScheduledItemKind Kind { get; }

    Task<TextRef?> RunAsync(AppDbContext db, ScheduledItem item, Conversation conversation, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// True when many of this kind's items can run in one transaction (<see cref="RunBatchAsync"/>); false (the default)
    /// for a runner that waits on something slow per item, whose items then run one per transaction, several at once.
    /// </summary>
    bool RunsInBatches => false;

    /// <summary>
    /// Several due items of this kind in one transaction (the scheduler fires a second's items in batches): the same
    /// contract as <see cref="RunAsync"/> for each, the sentences keyed by item id. A runner that reads per item what its
    /// items share (settings, channels, appointments) overrides this to read it once; by default, one at a time.
    /// </summary>
    async Task<IReadOnlyList<(Guid Item, TextRef Notice)>> RunBatchAsync(AppDbContext db, IReadOnlyList<(ScheduledItem Item, Conversation Conversation)> due,
        DateTimeOffset now, CancellationToken ct)
    {
        List<(Guid, TextRef)> notices = [];
        foreach (var (item, conversation) in due)
            if (await RunAsync(db, item, conversation, now, ct) is { } notice) notices.Add((item.Id, notice));
        return notices;
    }
}

/// <summary>
/// Quartz job (durable, <see cref="ScheduledItems.DueJob"/>): a due second's trigger came (<c>due-yyyyMMddHHmmss</c>), so
/// every item due by now runs (<see cref="ScheduledItems.FireDueAsync"/>). Seconds fire concurrently, on any node: their
/// claims skip each other's rows. RequestRecovery: a node killed mid-batch has the job run again as soon as the cluster
/// notices (its rolled-back rows are pending again); without it only the sweep, a minute on.
/// </summary>
public sealed class FireDueScheduledItemsJob(ScheduledItems items, ILogger<FireDueScheduledItemsJob> log) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct) =>
        await DatabaseOutage.WaitOutAsync("Job " + context.Trigger.Key, c => items.FireDueAsync(context.ScheduledFireTimeUtc, c), log, ct);
}

/// <summary>
/// Quartz job of the per-item triggers stored before items shared their second's trigger (job data <c>itemId</c>): still
/// fired after an upgrade, it runs its one item through the same path (nothing, if the item is settled or not due).
/// </summary>
[DisallowConcurrentExecution]
public sealed class FireScheduledItemJob(ScheduledItems items, ILogger<FireScheduledItemJob> log) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct)
    {
        var data = context.MergedJobDataMap;
        var (tenantId, itemId) = (Guid.Parse(data.GetString(ScheduledItems.TenantKey)!), Guid.Parse(data.GetString(ScheduledItems.ItemKey)!));
        await DatabaseOutage.WaitOutAsync("Job " + context.JobDetail.Key, c => items.FireAsync(tenantId, itemId, c), log, ct);
    }
}

/// <summary>Quartz job, every <see cref="SchedulerOptions.SweepSeconds"/> on one node: items whose trigger was lost run late.</summary>
[DisallowConcurrentExecution]
public sealed class ScheduledItemSweepJob(ScheduledItems items, IOptions<SchedulerOptions> options) : IJob
{
    public const string Name = "scheduled-item-sweep";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct) =>
        await items.SweepAsync(TimeSpan.FromSeconds(Math.Max(60, options.Value.SweepSeconds)), ct);
}
