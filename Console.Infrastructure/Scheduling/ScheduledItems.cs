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
/// item (key = item id) then says when to look, and <see cref="FireAsync"/> decides on the row, in one transaction with
/// its effect: a cancelled, already-run or not-yet-due item does nothing, so a lost, duplicated or stale trigger is
/// harmless. A sweep runs items whose trigger was lost. An item found more than <see cref="SchedulerOptions.MaxLateMinutes"/>
/// late (every node was down) is dropped and said so, rather than sending "see you at 9" at noon.
/// </summary>
public sealed class ScheduledItems(ContextScopes scopes, OutboundMessages outbound, SystemEventWriter systemEvents, IServiceProvider services,
    IEnumerable<IScheduledItemRunner> runners, TimeProvider clock, IOptions<SchedulerOptions> options, ILogger<ScheduledItems> log)
{
    private readonly Dictionary<ScheduledItemKind, IScheduledItemRunner> _runners = runners.ToDictionary(r => r.Kind);

    public const string Group = "scheduled-item";
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
        await UnscheduleAsync(itemId, ct);
    }

    /// <summary>Runs the item if it is still pending and due; false when there was nothing to do.</summary>
    public async Task<bool> FireAsync(Guid tenantId, Guid itemId, CancellationToken ct = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            TextRef? late = null;
            await using (var work = scopes.ForTenant(tenantId))
            {
                var db = work.Db;
                var now = clock.GetUtcNow();
                var item = await db.ScheduledItems.SingleOrDefaultAsync(i => i.Id == itemId, ct);
                // Quartz may fire a few milliseconds early; the row's time is the one that counts.
                if (item is null || !item.IsDue(now + EarlyTolerance)) return false;
                var conversation = await db.Conversations.SingleAsync(c => c.Id == item.ConversationId, ct);
                if (item.Kind != ScheduledItemKind.Reminder
                    && await db.Contacts.Where(c => c.Id == conversation.ContactId).Select(c => c.OptedOutAt).SingleOrDefaultAsync(ct) is not null)
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
                    late = await runner.RunAsync(db, item, conversation, now, ct);
                }
                else if (now - item.At > TimeSpan.FromMinutes(options.Value.MaxLateMinutes))
                {
                    item.Skip("too_late", now);
                    late = new TextRef("SystemEvent.ScheduledTooLate",
                        $"A scheduled {item.Kind} for {item.At:u} was dropped: found {(now - item.At).TotalMinutes:0} minutes late",
                        item.At.ToString("O"), ((int)(now - item.At).TotalMinutes).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.ScheduledFailed, null, late.English,
                        Json(new { key = "Scheduled.TooLate", args = Array.Empty<string>(), itemId = item.Id, kind = item.Kind.ToString(), at = item.At }), now));
                }
                else
                {
                    Run(db, item, conversation, now);
                }
                db.Raise(new ScheduledItemsChanged(item.TenantId, item.ConversationId));
                try
                {
                    await db.SaveChangesAsync(ct);
                }
                catch (DbUpdateConcurrencyException) when (attempt < 3)
                {
                    // Cancelled, or run by another node, a moment ago: look again at what it left.
                    continue;
                }
            }
            if (late is not null) await systemEvents.WriteAsync(Severity.Warning, "scheduler", late, tenantId, $"item {itemId}", ct);
            return true;
        }
    }

    private static readonly TimeSpan EarlyTolerance = TimeSpan.FromSeconds(1);

    private void Run(AppDbContext db, ScheduledItem item, Conversation conversation, DateTimeOffset now)
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
                var channel = db.Channels.Single(c => c.Id == conversation.ChannelId);
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

    /// <summary>Pending items more than <paramref name="grace"/> past their time: their trigger was lost. Returns how many ran.</summary>
    public async Task<int> SweepAsync(TimeSpan grace, CancellationToken ct = default)
    {
        List<(Guid Tenant, Guid Id)> due;
        await using (var work = scopes.ForSystem("scheduled item sweep"))
        {
            var before = clock.GetUtcNow() - grace;
            due = (await work.Db.ScheduledItems.AsNoTracking().Where(i => i.Status == ScheduledItemStatus.Pending && i.At <= before)
                .OrderBy(i => i.At).Take(500).Select(i => new { i.TenantId, i.Id }).ToListAsync(ct)).Select(i => (i.TenantId, i.Id)).ToList();
        }
        var ran = 0;
        foreach (var (tenant, id) in due)
            if (await FireAsync(tenant, id, ct)) ran++;
        if (ran > 0) log.LogWarning("{Count} scheduled item(s) had no trigger and ran late from the sweep", ran);
        return ran;
    }

    /// <summary>
    /// Creates (or moves) the Quartz trigger of a committed pending item. Items staged inside another change's
    /// transaction call this after that commit; if it never happens, the sweep runs the item late.
    /// </summary>
    public async Task TriggerAsync(Guid tenantId, Guid itemId, DateTimeOffset at, CancellationToken ct)
    {
        if (services.GetService<ISchedulerFactory>() is not { } factory) return;
        try
        {
            var scheduler = await factory.GetScheduler(ct);
            var key = new TriggerKey(itemId.ToString("N"), Group);
            // RequestRecovery: a node killed while the job ran has it run again as soon as the cluster notices (the job
            // decides on the row, so a second run of one that finished does nothing); without it only the sweep, a minute on.
            var job = JobBuilder.Create<FireScheduledItemJob>().WithIdentity(key.Name, key.Group).RequestRecovery()
                .UsingJobData(TenantKey, tenantId.ToString()).UsingJobData(ItemKey, itemId.ToString()).Build();
            // After an outage the job looks at the row and decides whether it is still worth doing.
            var trigger = TriggerBuilder.Create().WithIdentity(key).ForJob(job).StartAt(at)
                .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow)).Build();
            await scheduler.ScheduleJob(job, trigger, ScheduleJobOptions.Replacing, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The row is committed; the sweep runs it if this trigger never exists.
            log.LogError(ex, "Could not schedule the trigger of scheduled item {ItemId}", itemId);
        }
    }

    /// <summary>Removes the trigger of a cancelled item (harmless if it is gone: a stale trigger finds the row settled).</summary>
    public async Task UnscheduleAsync(Guid itemId, CancellationToken ct)
    {
        if (services.GetService<ISchedulerFactory>() is not { } factory) return;
        try
        {
            await (await factory.GetScheduler(ct)).UnscheduleJob(new TriggerKey(itemId.ToString("N"), Group), ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Harmless: a stale trigger finds the row cancelled.
            log.LogWarning(ex, "Could not remove the trigger of cancelled scheduled item {ItemId}", itemId);
        }
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
}

/// <summary>Quartz job: one scheduled item's time came.</summary>
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
