using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Scheduling;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Scheduling;

/// <summary>
/// A timer whose trigger was lost (the node stopped between saving the snooze and scheduling it) still runs, late,
/// from the sweep; one that is not yet late, or already handled, is left alone.
/// </summary>
public class TimerSweepTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private ConversationTimers Timers => app.Services.GetRequiredService<ConversationTimers>();

    [Fact]
    public async Task A_snooze_and_an_overdue_handoff_without_triggers_are_run_by_the_sweep_once()
    {
        var tenant = await app.TenantAsync();
        var snoozed = await app.ConversationAsync(tenant.Id, "Ana");
        var waiting = await app.ConversationAsync(tenant.Id, "Beto");
        var notYet = await app.ConversationAsync(tenant.Id, "Carla");
        var now = DateTimeOffset.UtcNow;
        // Written with SQL, as if the scheduling after the commit never happened: no trigger exists for any of them.
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            await work.Db.Conversations.Where(c => c.Id == snoozed.Id).ExecuteUpdateAsync(s => s
                .SetProperty(c => c.Status, ConversationStatus.Snoozed).SetProperty(c => c.SnoozedUntil, now.AddMinutes(-10)));
            await work.Db.Conversations.Where(c => c.Id == waiting.Id).ExecuteUpdateAsync(s => s
                .SetProperty(c => c.Owner, ConversationOwner.Unassigned).SetProperty(c => c.Priority, HandoffPriority.Normal)
                .SetProperty(c => c.SlaDueAt, now.AddMinutes(-10)));
            await work.Db.Conversations.Where(c => c.Id == notYet.Id).ExecuteUpdateAsync(s => s
                .SetProperty(c => c.Status, ConversationStatus.Snoozed).SetProperty(c => c.SnoozedUntil, now.AddSeconds(-5)));
        }

        await Timers.SweepAsync(TimeSpan.FromMinutes(1));
        await Timers.SweepAsync(TimeSpan.FromMinutes(1)); // a second sweep finds nothing left to do

        Assert.Equal(1, await CountAsync(tenant.Id, snoozed.Id, ConversationEventType.Woke));

        await using var check = app.Scopes.ForTenant(tenant.Id);
        var woke = await check.Db.Conversations.AsNoTracking().SingleAsync(c => c.Id == snoozed.Id);
        Assert.Equal(ConversationStatus.Open, woke.Status);
        var escalated = await check.Db.Conversations.AsNoTracking().SingleAsync(c => c.Id == waiting.Id);
        Assert.Equal(HandoffPriority.Urgent, escalated.Priority);
        Assert.Equal(1, await CountAsync(tenant.Id, waiting.Id, ConversationEventType.SlaBreached));
        // Five seconds late is a trigger about to fire, not a lost one.
        Assert.Equal(ConversationStatus.Snoozed, (await check.Db.Conversations.AsNoTracking().SingleAsync(c => c.Id == notYet.Id)).Status);
    }

    private async Task<int> CountAsync(Guid tenantId, Guid conversationId, ConversationEventType type)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return await work.Db.ConversationEvents.CountAsync(e => e.ConversationId == conversationId && e.Type == type);
    }
}
