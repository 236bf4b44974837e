using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Billing;

/// <summary>Helpers the billing tests share: a tenant's plan, seeded usage, many customers of one tenant.</summary>
internal static class BillingTestData
{
    public static async Task SetPlanAsync(this ConsoleAppFactory app, Guid tenantId, Plan plan)
    {
        await using var work = app.Scopes.ForSystem("test: plan");
        var tenant = await work.Db.Tenants.SingleAsync(t => t.Id == tenantId);
        tenant.ChangePlan(plan);
        await work.Db.SaveChangesAsync();
    }

    /// <summary>AI replies already answered today (the tenant's own day has just these, whatever its time zone).</summary>
    public static async Task SeedRepliesAsync(this ConsoleAppFactory app, Guid tenantId, int count)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < count; i++)
            work.Db.AiReplyUsage.Add(AiReplyUsage.Record(tenantId, Guid.NewGuid(), Guid.NewGuid(), ReplyFunding.Plan, now));
        await work.Db.SaveChangesAsync();
    }

    public static async Task<int> RepliesCountedAsync(this ConsoleAppFactory app, Guid tenantId)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return await work.Db.AiReplyUsage.CountAsync();
    }

    /// <summary><paramref name="count"/> different customers of the customer's business each write one message, all at once.</summary>
    public static async Task<string[]> ManyWriteAsync(ConsoleAppFactory[] nodes, TestCustomer business, int count, string text)
    {
        var waIds = Enumerable.Range(0, count).Select(_ => "52155" + Random.Shared.Next(10000000, 99999999)).ToArray();
        var clients = nodes.Select(n => new WebhookClient(n.CreateClient())).ToArray();
        await Task.WhenAll(waIds.Select(async (waId, i) =>
        {
            var response = await clients[i % clients.Length].PostMetaAsync("whatsapp",
                Deliveries.WhatsAppText(business.PhoneNumberId, waId, "wamid." + Guid.NewGuid().ToString("N"), text, DateTimeOffset.UtcNow));
            response.EnsureSuccessStatusCode();
        }));
        return waIds;
    }

    public sealed record Outcome(int Answered, int PlanLimited, int BillingStopped, int Pending, int Conversations);

    /// <summary>Waits until every conversation of the tenant is settled (answered or with a human), and counts how each ended.</summary>
    public static async Task<Outcome> SettledOutcomeAsync(ConsoleAppFactory app, Guid tenantId, int conversations)
    {
        return await Eventually.GetAsync(async () =>
        {
            await using var work = app.Scopes.ForTenant(tenantId);
            var rows = await work.Db.Conversations.AsNoTracking().ToListAsync();
            var answered = await work.Db.Messages.Where(m => m.Sender == MessageSender.Bot).Select(m => m.ConversationId).Distinct().CountAsync();
            return new Outcome(answered,
                rows.Count(c => c.HandoffReason == HandoffReason.PlanLimit),
                rows.Count(c => c.HandoffReason == HandoffReason.BillingStopped),
                rows.Count(c => c.AgentDueAt != null || c.AgentLeaseId != null),
                rows.Count);
        }, o => o.Conversations == conversations && o.Pending == 0 && o.Answered + o.PlanLimited + o.BillingStopped == conversations,
            "every conversation answered or handed to a human", TimeSpan.FromSeconds(90));
    }
}

public class UsageLimitTests(AgentApp agent) : IClassFixture<AgentApp>
{
    [Fact]
    public async Task A_quota_reached_in_the_middle_of_a_50_message_burst_stops_exactly_at_the_limit_and_hands_the_rest_to_humans()
    {
        var business = await TestCustomer.CreateAsync(agent.App);
        await agent.App.SetPlanAsync(business.TenantId, Plan.Starter);
        var perDay = PlanCatalog.For(Plan.Starter).RepliesPerDay!.Value;
        await agent.App.SeedRepliesAsync(business.TenantId, perDay - 5);

        await BillingTestData.ManyWriteAsync([agent.App], business, 50, "Hola, ¿tienen cita mañana?");
        var outcome = await BillingTestData.SettledOutcomeAsync(agent.App, business.TenantId, 50);

        Assert.Equal(5, outcome.Answered);
        Assert.Equal(45, outcome.PlanLimited);
        Assert.Equal(perDay, await agent.App.RepliesCountedAsync(business.TenantId));
        await using var work = agent.App.Scopes.ForTenant(business.TenantId);
        // Every customer the bot did not answer is in the humans' queue with the reason in the timeline; none got a bot message.
        var limited = await work.Db.Conversations.AsNoTracking().Where(c => c.HandoffReason == HandoffReason.PlanLimit).Select(c => c.Id).ToListAsync();
        Assert.All(limited, id => Assert.False(work.Db.Messages.Any(m => m.ConversationId == id && m.Sender == MessageSender.Bot)));
        var events = await work.Db.ConversationEvents.AsNoTracking().Where(e => e.Type == ConversationEventType.HandedOff).ToListAsync();
        Assert.Equal(45, events.Count(e => e.Text!.StartsWith(nameof(HandoffReason.PlanLimit))));
        // The owners heard once that the bot paused for the day.
        Assert.Single(await work.Db.BillingNotices.AsNoTracking().Where(n => n.Kind == "usage100.day").ToListAsync());
    }

    [Fact]
    public async Task An_enterprise_workspace_is_never_limited_and_its_replies_are_counted_as_unlimited()
    {
        var business = await TestCustomer.CreateAsync(agent.App);
        await agent.App.SetPlanAsync(business.TenantId, Plan.Enterprise);
        await agent.App.SeedRepliesAsync(business.TenantId, 150);

        await BillingTestData.ManyWriteAsync([agent.App], business, 3, "Hola");
        var outcome = await BillingTestData.SettledOutcomeAsync(agent.App, business.TenantId, 3);

        Assert.Equal(3, outcome.Answered);
        await using var work = agent.App.Scopes.ForTenant(business.TenantId);
        Assert.Equal(3, await work.Db.AiReplyUsage.CountAsync(u => u.FundedBy == ReplyFunding.Unlimited));
    }

    [Fact]
    public async Task A_stopped_subscription_hands_turns_to_humans_without_the_model_and_answering_resumes_once_paid()
    {
        var business = await TestCustomer.CreateAsync(agent.App);
        var now = DateTimeOffset.UtcNow;
        var subscriptionId = "sub_" + Guid.NewGuid().ToString("N")[..10];
        await using (var work = agent.App.Scopes.ForTenant(business.TenantId))
        {
            // past_due for four days: beyond the three days of grace.
            var subscription = Subscription.Create(business.TenantId, now);
            subscription.Apply(subscriptionId, SubscriptionStatus.PastDue, "price_pro", now.AddDays(20), false, now.AddDays(-4), now);
            work.Db.Subscriptions.Add(subscription);
            await work.Db.SaveChangesAsync();
        }
        var calls = agent.Llm.ReplyRequests.Count;

        await business.SayAsync($"{business.Marker} hola, ¿siguen abiertos?");
        var stopped = await BillingTestData.SettledOutcomeAsync(agent.App, business.TenantId, 1);

        Assert.Equal(new BillingTestData.Outcome(0, 0, 1, 0, 1), stopped);
        Assert.DoesNotContain(agent.Llm.ReplyRequests.Skip(calls), r => r.ToJsonString().Contains(business.Marker));
        var conversation = await business.ConversationAsync();
        Assert.False(conversation.IsBotOwned); // in "needs a human"
        Assert.Contains(await business.EventsAsync(), e => e.Type == ConversationEventType.HandedOff && e.Text!.StartsWith(nameof(HandoffReason.BillingStopped)));
        Assert.Equal(0, await agent.App.RepliesCountedAsync(business.TenantId));

        await using (var work = agent.App.Scopes.ForTenant(business.TenantId))
        {
            var subscription = await work.Db.Subscriptions.SingleAsync();
            subscription.Apply(subscriptionId, SubscriptionStatus.Active, "price_pro", now.AddDays(30), false, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
            await work.Db.SaveChangesAsync();
        }
        // The next customer is answered at once: nothing cached the stop.
        await BillingTestData.ManyWriteAsync([agent.App], business, 1, "Hola otra vez");
        var resumed = await BillingTestData.SettledOutcomeAsync(agent.App, business.TenantId, 2);

        Assert.Equal(1, resumed.Answered);
        Assert.Equal(1, await agent.App.RepliesCountedAsync(business.TenantId));
    }

    [Fact]
    public async Task A_trial_that_ended_stops_the_bot()
    {
        var business = await TestCustomer.CreateAsync(agent.App);
        await using (var work = agent.App.Scopes.ForSystem("test: trial"))
        {
            // A trial that ended a moment ago: started right after the workspace was made, so the domain accepts it.
            var tenant = await work.Db.Tenants.SingleAsync(t => t.Id == business.TenantId);
            await work.Db.Database.ExecuteSqlAsync($"UPDATE tenants SET trial_ends_at = {DateTimeOffset.UtcNow.AddMinutes(-1)} WHERE id = {tenant.Id}");
        }

        await business.SayAsync($"{business.Marker} hola");
        var outcome = await BillingTestData.SettledOutcomeAsync(agent.App, business.TenantId, 1);

        Assert.Equal(1, outcome.BillingStopped);
        Assert.Empty(await business.BotMessagesAsync());
    }
}
