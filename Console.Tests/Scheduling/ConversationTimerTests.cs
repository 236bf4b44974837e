using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Infrastructure.Live;
using OperatorConsole.Infrastructure.Scheduling;
using OperatorConsole.Tests.Support;
using Quartz;

namespace OperatorConsole.Tests.Scheduling;

/// <summary>Two app instances (nodes), each with its own running Quartz scheduler, on one database.</summary>
public sealed class TwoSchedulingNodes : IAsyncLifetime
{
    public ConsoleAppFactory A { get; } = new();
    public NodeAppFactory B { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        await A.InitializeAsync();
        B = new NodeAppFactory(A.Database);
        await B.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await B.DisposeAsync();
        await A.DisposeAsync();
    }
}

/// <summary>
/// Timed conversation rules fired by Quartz's clustered store: real time, short delays, and the test waits for the
/// database to show the result (no sleeps). "Once" is checked after Quartz has removed the trigger and has no firing
/// in progress for it, so no further firing can come.
/// </summary>
public class ConversationTimerTests(TwoSchedulingNodes nodes) : IClassFixture<TwoSchedulingNodes>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task A_snoozed_conversation_wakes_at_its_time_once_with_two_nodes_running()
    {
        var tenant = await nodes.A.TenantAsync();
        var conversation = await nodes.A.ConversationAsync(tenant.Id, "Ana");
        using var heard = Listen(nodes.A, tenant.Id, nameof(ConversationWoke));
        var until = DateTimeOffset.UtcNow.AddSeconds(2);
        await Commands(nodes.A).SnoozeAsync(InboxActor.Integration(tenant.Id), conversation.Id, until);

        var woken = await Eventually.GetAsync(() => LoadAsync(nodes.B, tenant.Id, conversation.Id), c => c.Status == ConversationStatus.Open,
            "the snoozed conversation to wake", Generous);
        Assert.Null(woken.SnoozedUntil);
        Assert.True(DateTimeOffset.UtcNow >= until, "woke before its time");

        await WaitUntilQuartzIsDoneWithAsync(ConversationTimers.KeyFor(ConversationTimer.SnoozeWake, conversation.Id));
        Assert.Equal(1, await CountEventsAsync(tenant.Id, conversation.Id, ConversationEventType.Woke));
        // Whichever node fired it, screens on node A hear about it (locally or through the relay).
        await Eventually.TrueAsync(() => Task.FromResult(heard.Saw(conversation.Id)), "the wake to be announced live", Generous);
    }

    [Fact]
    public async Task A_waiting_handoff_escalates_once_when_its_SLA_passes_with_two_nodes_running()
    {
        var tenant = await nodes.A.TenantAsync();
        var conversation = await nodes.A.ConversationAsync(tenant.Id, "Beto");
        using var heard = Listen(nodes.A, tenant.Id, nameof(HandoffEscalated));
        // Handed off (Normal: 15 minutes) so long ago that the SLA runs out two seconds from now.
        var slaDue = DateTimeOffset.UtcNow.AddSeconds(2);
        await using (var work = nodes.B.Scopes.ForTenant(tenant.Id))
        {
            var c = await work.Db.Conversations.SingleAsync(x => x.Id == conversation.Id);
            c.HandOff(HandoffReason.UserRequested, HandoffPriority.Normal, slaDue - Conversation.SlaFor(HandoffPriority.Normal));
            await work.Db.SaveChangesAsync();
        }

        var escalated = await Eventually.GetAsync(() => LoadAsync(nodes.A, tenant.Id, conversation.Id), c => c.Priority == HandoffPriority.Urgent,
            "the overdue handoff to escalate", Generous);
        Assert.Equal(ConversationOwner.Unassigned, escalated.Owner);
        Assert.Equal(slaDue.UtcTicks / 10, escalated.SlaDueAt!.Value.UtcTicks / 10);

        await WaitUntilQuartzIsDoneWithAsync(ConversationTimers.KeyFor(ConversationTimer.SlaEscalation, conversation.Id));
        Assert.Equal(1, await CountEventsAsync(tenant.Id, conversation.Id, ConversationEventType.SlaBreached));
        Assert.Equal(HandoffPriority.Urgent, (await LoadAsync(nodes.A, tenant.Id, conversation.Id)).Priority);
        await Eventually.TrueAsync(() => Task.FromResult(heard.Saw(conversation.Id)), "the escalation to be announced live", Generous);
    }

    [Fact]
    public async Task Snoozing_again_moves_the_wake_and_reopening_cancels_it()
    {
        var tenant = await nodes.A.TenantAsync();
        var conversation = await nodes.A.ConversationAsync(tenant.Id, "Caro");
        var actor = InboxActor.Integration(tenant.Id);
        var key = ConversationTimers.KeyFor(ConversationTimer.SnoozeWake, conversation.Id);
        var scheduler = await nodes.A.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();

        var first = DateTimeOffset.UtcNow.AddHours(1);
        await Commands(nodes.A).SnoozeAsync(actor, conversation.Id, first);
        Assert.Equal(first, (await scheduler.GetTrigger(key))?.StartTimeUtc);

        var later = first.AddHours(2);
        await Commands(nodes.B).SnoozeAsync(actor, conversation.Id, later);
        Assert.Equal(later, (await scheduler.GetTrigger(key))?.StartTimeUtc);

        await Commands(nodes.B).ReopenAsync(actor, conversation.Id);
        Assert.Null(await scheduler.GetTrigger(key));
    }

    [Fact]
    public async Task Taking_over_a_waiting_handoff_cancels_its_escalation()
    {
        var tenant = await nodes.A.TenantAsync();
        var conversation = await nodes.A.ConversationAsync(tenant.Id, "Dani");
        var key = ConversationTimers.KeyFor(ConversationTimer.SlaEscalation, conversation.Id);
        var scheduler = await nodes.A.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        await using (var work = nodes.A.Scopes.ForTenant(tenant.Id))
        {
            var c = await work.Db.Conversations.SingleAsync(x => x.Id == conversation.Id);
            c.HandOff(HandoffReason.UserRequested, HandoffPriority.Critical, DateTimeOffset.UtcNow);
            await work.Db.SaveChangesAsync();
        }
        Assert.NotNull(await scheduler.GetTrigger(key));

        await Commands(nodes.B).TakeOverAsync(InboxActor.Integration(tenant.Id), conversation.Id);
        Assert.Null(await scheduler.GetTrigger(key));
    }

    private static Heard Listen(ConsoleAppFactory node, Guid tenantId, string reason)
    {
        var heard = new Heard();
        heard.Subscription = node.Services.GetRequiredService<ConversationNotifier>().Subscribe(tenantId, change =>
        {
            if (change.Reason == reason) heard.Ids.Add(change.ConversationId);
            return Task.CompletedTask;
        });
        return heard;
    }

    private sealed class Heard : IDisposable
    {
        public System.Collections.Concurrent.ConcurrentBag<Guid> Ids { get; } = [];
        public IDisposable? Subscription { get; set; }
        public bool Saw(Guid id) => Ids.Contains(id);
        public void Dispose() => Subscription?.Dispose();
    }

    private static ConversationCommands Commands(ConsoleAppFactory node) => node.Services.GetRequiredService<ConversationCommands>();

    private static async Task<Conversation> LoadAsync(ConsoleAppFactory node, Guid tenantId, Guid id)
    {
        await using var work = node.Scopes.ForTenant(tenantId);
        return await work.Db.Conversations.AsNoTracking().SingleAsync(c => c.Id == id);
    }

    private async Task<int> CountEventsAsync(Guid tenantId, Guid conversationId, ConversationEventType type)
    {
        await using var work = nodes.A.Scopes.ForTenant(tenantId);
        return await work.Db.ConversationEvents.CountAsync(e => e.ConversationId == conversationId && e.Type == type);
    }

    private Task WaitUntilQuartzIsDoneWithAsync(TriggerKey key) => QuartzProbe.WaitUntilDoneWithAsync(nodes.A.OwnerConnectionString, key, Generous);
}

/// <summary>/health/ready is about this node being able to do its work, the scheduler included.</summary>
public class SchedulerHealthTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    [Fact]
    public async Task Ready_fails_while_the_scheduler_is_in_standby_and_recovers_when_it_runs_again()
    {
        var client = app.CreateClient();
        var scheduler = await app.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        // The scheduler starts once the host has (a CI run under load found the node not ready yet at this point).
        await Eventually.TrueAsync(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, "the node ready");

        await scheduler.Standby();
        try
        {
            var stopped = await client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, stopped.StatusCode);
        }
        finally
        {
            await scheduler.Start();
        }
        await Eventually.TrueAsync(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK,
            "the node ready again once its scheduler runs");
    }
}
