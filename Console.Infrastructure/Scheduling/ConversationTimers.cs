using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Tenancy;
using Quartz;

namespace OperatorConsole.Infrastructure.Scheduling;

public enum ConversationTimer { SnoozeWake, SlaEscalation }

/// <summary>A conversation's timer was set (<see cref="At"/>), moved, or cleared (null).</summary>
public sealed record ConversationTimerChange(Guid TenantId, Guid ConversationId, ConversationTimer Timer, DateTimeOffset? At);

/// <summary>
/// The conversation's timed rules, run by Quartz: one trigger per conversation and timer (key = conversation id), so
/// setting a snooze or an SLA again replaces the trigger and clearing it removes it. <see cref="ConversationTimerInterceptor"/>
/// calls <see cref="ApplyAsync"/> after every save that changed <c>SnoozedUntil</c> or <c>SlaDueAt</c>, whichever
/// code path changed them. The clustered job store fires each trigger on one node only; the rule itself is checked
/// again on the row when it fires (<see cref="Conversation.WakeFromSnooze"/>, <see cref="Conversation.EscalateOverdueHandoff"/>),
/// so a trigger that outlived its reason (a set-based path reopened the conversation) changes nothing.
/// </summary>
public sealed class ConversationTimers(IServiceProvider services, ContextScopes scopes, TimeProvider clock,
    ILogger<ConversationTimers> log)
{
    public const string WakeGroup = "conversation-snooze-wake";
    public const string EscalationGroup = "conversation-sla-escalation";

    // A timer job's own save clears the timer it is running for: that is not a cancellation to pass on to Quartz
    // (the firing trigger is removed by Quartz itself when the job completes).
    private static readonly AsyncLocal<bool> RunningTimer = new();

    internal static bool IsRunningTimer => RunningTimer.Value;

    public static TriggerKey KeyFor(ConversationTimer timer, Guid conversationId) =>
        new(conversationId.ToString("N"), timer == ConversationTimer.SnoozeWake ? WakeGroup : EscalationGroup);

    public async Task ApplyAsync(IReadOnlyList<ConversationTimerChange> changes, CancellationToken ct = default)
    {
        if (changes.Count == 0 || services.GetService<ISchedulerFactory>() is not { } factory) return;
        try
        {
            var scheduler = await factory.GetScheduler(ct);
            foreach (var change in changes)
            {
                var key = KeyFor(change.Timer, change.ConversationId);
                if (change.At is not { } at)
                {
                    await scheduler.UnscheduleJob(key, ct);
                    continue;
                }
                var job = JobBuilder.Create()
                    .OfType(change.Timer == ConversationTimer.SnoozeWake ? typeof(WakeSnoozedConversationJob) : typeof(EscalateOverdueHandoffJob))
                    .WithIdentity(key.Name, key.Group)
                    .RequestRecovery() // a node killed mid-run: run again once the cluster notices (the job decides on the row)
                    .UsingJobData(TenantKey, change.TenantId.ToString())
                    .UsingJobData(ConversationKey, change.ConversationId.ToString())
                    .Build();
                // Fire now after a cluster-wide outage: a late wake is still a wake.
                var trigger = TriggerBuilder.Create().WithIdentity(key).ForJob(job).StartAt(at)
                    .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
                    .Build();
                await scheduler.ScheduleJob(job, trigger, ScheduleJobOptions.Replacing, ct);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The conversation's change is already committed; failing the operator's action now would lie about it.
            log.LogError(ex, "Could not schedule {Count} conversation timer change(s)", changes.Count);
        }
    }

    internal const string TenantKey = "tenantId";
    internal const string ConversationKey = "conversationId";

    /// <summary>The snooze ran out: the conversation opens, with its event and a live change. False when nothing was due.</summary>
    public Task<bool> WakeAsync(Guid tenantId, Guid conversationId, DateTimeOffset firedFor, CancellationToken ct = default) =>
        RunAsync(tenantId, conversationId, (c, _, now) =>
        {
            var until = c.SnoozedUntil;
            return Task.FromResult(c.WakeFromSnooze(Later(now, firedFor))
                ? ConversationEvent.Record(c, ConversationEventType.Woke, null, $"Snooze until {until:u} ended",
                    JsonSerializer.Serialize(new { until }, JsonSerializerOptions.Web), now)
                : null);
        }, ct);

    /// <summary>A waiting handoff passed its SLA: one priority level up, once per handoff. False when nothing was due.</summary>
    public Task<bool> EscalateAsync(Guid tenantId, Guid conversationId, DateTimeOffset firedFor, CancellationToken ct = default) =>
        RunAsync(tenantId, conversationId, async (c, db, now) =>
        {
            var due = c.SlaDueAt;
            var from = c.Priority;
            // A handoff's SLA lies after any breach recorded for an earlier one: a breach since this due time is this one's.
            if (due is null || await db.ConversationEvents.AnyAsync(e => e.ConversationId == c.Id
                    && e.Type == ConversationEventType.SlaBreached && e.CreatedAt >= due, ct))
                return null;
            if (!c.EscalateOverdueHandoff(Later(now, firedFor))) return null;
            return ConversationEvent.Record(c, ConversationEventType.SlaBreached, null,
                $"Nobody took it by {due:u}: priority {from?.ToString() ?? "none"} -> {c.Priority}",
                JsonSerializer.Serialize(new { slaDueAt = due, from = from?.ToString(), priority = c.Priority?.ToString() }, JsonSerializerOptions.Web), now);
        }, ct);

    /// <summary>
    /// Runs the timed rules of conversations whose time passed more than <paramref name="grace"/> ago and are still
    /// waiting (snoozed, or an unassigned handoff past its SLA with no breach recorded): their trigger was lost. The
    /// rules are the same guarded ones, so a conversation a trigger handles at the same moment changes once. Returns
    /// how many it changed.
    /// </summary>
    public async Task<int> SweepAsync(TimeSpan grace, CancellationToken ct = default)
    {
        var before = clock.GetUtcNow() - grace;
        List<(Guid Tenant, Guid Id, DateTimeOffset At)> snoozed, overdue;
        await using (var work = scopes.ForSystem("conversation timer sweep"))
        {
            var db = work.Db;
            snoozed = (await db.Conversations.AsNoTracking()
                    .Where(c => c.Status == ConversationStatus.Snoozed && c.SnoozedUntil <= before)
                    .OrderBy(c => c.SnoozedUntil).Take(SweepBatch).Select(c => new { c.TenantId, c.Id, At = c.SnoozedUntil!.Value }).ToListAsync(ct))
                .Select(c => (c.TenantId, c.Id, c.At)).ToList();
            overdue = (await db.Conversations.AsNoTracking()
                    .Where(c => c.Owner == ConversationOwner.Unassigned && c.Status != ConversationStatus.Resolved && c.SlaDueAt <= before
                                && !db.ConversationEvents.Any(e => e.ConversationId == c.Id && e.Type == ConversationEventType.SlaBreached && e.CreatedAt >= c.SlaDueAt))
                    .OrderBy(c => c.SlaDueAt).Take(SweepBatch).Select(c => new { c.TenantId, c.Id, At = c.SlaDueAt!.Value }).ToListAsync(ct))
                .Select(c => (c.TenantId, c.Id, c.At)).ToList();
        }
        var changed = 0;
        foreach (var (tenant, id, at) in snoozed)
            if (await WakeAsync(tenant, id, at, ct)) changed++;
        foreach (var (tenant, id, at) in overdue)
            if (await EscalateAsync(tenant, id, at, ct)) changed++;
        if (changed > 0) log.LogWarning("{Count} conversation timer(s) had no trigger and ran late from the sweep", changed);
        return changed;
    }

    private const int SweepBatch = 200;

    // Quartz may fire a couple of milliseconds before the trigger time: the time it fired for is the one that counts.
    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private async Task<bool> RunAsync(Guid tenantId, Guid conversationId,
        Func<Conversation, Data.AppDbContext, DateTimeOffset, Task<ConversationEvent?>> rule, CancellationToken ct)
    {
        RunningTimer.Value = true;
        for (var attempt = 1; ; attempt++)
        {
            await using var work = scopes.ForTenant(tenantId);
            var conversation = await work.Db.Conversations.SingleOrDefaultAsync(c => c.Id == conversationId, ct);
            if (conversation is null) return false;
            var happened = await rule(conversation, work.Db, clock.GetUtcNow());
            if (happened is null) return false;
            work.Db.ConversationEvents.Add(happened);
            try
            {
                await work.Db.SaveChangesAsync(ct);
            }
            catch (DbUpdateConcurrencyException) when (attempt < 3)
            {
                // An operator changed the conversation meanwhile: decide again on what they left.
                continue;
            }
            return true;
        }
    }
}

/// <summary>Quartz job: the snooze of one conversation ran out.</summary>
[DisallowConcurrentExecution]
public sealed class WakeSnoozedConversationJob(ConversationTimers timers, ILogger<WakeSnoozedConversationJob> log) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct)
    {
        var data = context.MergedJobDataMap;
        var (tenantId, conversationId) = (Guid.Parse(data.GetString(ConversationTimers.TenantKey)!), Guid.Parse(data.GetString(ConversationTimers.ConversationKey)!));
        var firedFor = context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
        await DatabaseOutage.WaitOutAsync("Job " + context.JobDetail.Key, c => timers.WakeAsync(tenantId, conversationId, firedFor, c), log, ct);
    }
}

/// <summary>Quartz job: a handed-off conversation of one tenant reached its SLA.</summary>
[DisallowConcurrentExecution]
public sealed class EscalateOverdueHandoffJob(ConversationTimers timers, ILogger<EscalateOverdueHandoffJob> log) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct)
    {
        var data = context.MergedJobDataMap;
        var (tenantId, conversationId) = (Guid.Parse(data.GetString(ConversationTimers.TenantKey)!), Guid.Parse(data.GetString(ConversationTimers.ConversationKey)!));
        var firedFor = context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
        await DatabaseOutage.WaitOutAsync("Job " + context.JobDetail.Key, c => timers.EscalateAsync(tenantId, conversationId, firedFor, c), log, ct);
    }
}

/// <summary>Quartz job, every <see cref="SchedulerOptions.SweepSeconds"/> on one node: timers whose trigger was lost run late.</summary>
[DisallowConcurrentExecution]
public sealed class ConversationTimerSweepJob(ConversationTimers timers, Microsoft.Extensions.Options.IOptions<SchedulerOptions> options) : IJob
{
    public const string Name = "conversation-timer-sweep";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct) =>
        // A trigger a node is about to fire is not lost: only those late by a whole sweep (at least a minute) are.
        await timers.SweepAsync(TimeSpan.FromSeconds(Math.Max(60, options.Value.SweepSeconds)), ct);
}
