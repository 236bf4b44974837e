using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Pipeline;
using OperatorConsole.Infrastructure.Scheduling;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Scheduling;

/// <summary>
/// Follow-ups end to end: a customer writes through a signed webhook, the agent (offline, no model) answers, the
/// follow-up is planned; what stops it (a reply, a person, a won lead, an opt-out) cancels it in the same save; firing
/// goes through the real clustered Quartz store. The rules with a given clock are in FollowUpRuleTests.
/// </summary>
public class FollowUpTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(45);

    private HttpClient Client(string key)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private Task<HttpClient> TenantKeyAsync(Guid tenantId) => app.TenantApiAsync(tenantId, "follow-ups");

    /// <summary>A customer of a workspace that is always open and follows up after <paramref name="gaps"/> minutes.</summary>
    private async Task<(TestCustomer Customer, HttpClient Api)> CustomerAsync(int[] gaps, string? template = null)
    {
        var customer = await TestCustomer.CreateAsync(app, s => s with { BusinessHours = BusinessHours.Always, TimeZone = "America/Santiago" });
        var api = await TenantKeyAsync(customer.TenantId);
        var put = await api.PutAsJsonAsync($"/api/v1/tenants/{customer.TenantId}/follow-ups",
            new { enabled = true, afterMinutes = gaps, templateName = template, templateLanguage = template is null ? null : "es" });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        return (customer, api);
    }

    private async Task<List<ScheduledItem>> FollowUpsAsync(Guid tenantId)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return await work.Db.ScheduledItems.AsNoTracking().Where(i => i.Kind == ScheduledItemKind.FollowUp).OrderBy(i => i.CreatedAt).ToListAsync();
    }

    private Task<ScheduledItem> PendingFollowUpAsync(Guid tenantId) =>
        Eventually.GetAsync(async () => (await FollowUpsAsync(tenantId)).LastOrDefault(i => i.Status == ScheduledItemStatus.Pending),
            i => i is not null, "a pending follow-up", Generous)!;

    private async Task<ScheduledItem> ItemAsync(Guid tenantId, Guid id)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return await work.Db.ScheduledItems.AsNoTracking().SingleAsync(i => i.Id == id);
    }

    [Fact]
    public async Task After_the_bot_answers_a_follow_up_waits_one_gap_and_a_customer_reply_cancels_it()
    {
        var (customer, _) = await CustomerAsync([90, 1380]);
        await customer.SayAsync("Hola, ¿cuánto cuesta una limpieza?");
        var answer = (await customer.WaitForBotMessagesAsync(1))[0];
        var planned = await PendingFollowUpAsync(customer.TenantId);
        Assert.InRange(planned.At, answer.CreatedAt.AddMinutes(89), DateTimeOffset.UtcNow.AddMinutes(91));

        await customer.SayAsync("Perdón, sigo aquí");
        var cancelled = await Eventually.GetAsync(() => ItemAsync(customer.TenantId, planned.Id), i => i.Status != ScheduledItemStatus.Pending,
            "the follow-up to stop", Generous);
        Assert.Equal(ScheduledItemStatus.Cancelled, cancelled.Status);
    }

    [Fact]
    public async Task A_person_taking_over_cancels_the_pending_follow_up()
    {
        var (customer, api) = await CustomerAsync([60]);
        await customer.SayAsync("Hola, quiero información");
        var planned = await PendingFollowUpAsync(customer.TenantId);

        var takeover = await api.PostAsJsonAsync($"/api/v1/tenants/{customer.TenantId}/conversations/{planned.ConversationId}/takeover", new { });
        Assert.True(takeover.IsSuccessStatusCode, await takeover.Content.ReadAsStringAsync());
        Assert.Equal(ScheduledItemStatus.Cancelled, (await ItemAsync(customer.TenantId, planned.Id)).Status);
    }

    [Fact]
    public async Task A_lead_reaching_a_won_stage_cancels_the_pending_follow_up()
    {
        var (customer, _) = await CustomerAsync([60]);
        await customer.SayAsync("Hola, quiero información");
        var planned = await PendingFollowUpAsync(customer.TenantId);
        Guid contactId, won;
        await using (var work = app.Scopes.ForTenant(customer.TenantId))
        {
            contactId = (await work.Db.Conversations.SingleAsync(c => c.Id == planned.ConversationId)).ContactId;
            won = (await work.Db.PipelineStages.FirstAsync(s => s.Kind == StageKind.Won)).Id;
        }

        Assert.True(await app.Services.GetRequiredService<LeadPipeline>().MoveAsync(customer.TenantId, contactId, won, new StageMover("test"), "paid"));
        Assert.Equal(ScheduledItemStatus.Cancelled, (await ItemAsync(customer.TenantId, planned.Id)).Status);
    }

    [Theory]
    [InlineData("Hola, quiero información", "¡BAJA!", "no te enviaremos más mensajes")]
    [InlineData("Hi, I need information about prices", "Stop", "we won't send you any more")]
    public async Task An_opt_out_stops_follow_ups_and_later_scheduled_messages_and_is_acknowledged_once(string first, string optOut, string acknowledgement)
    {
        var (customer, api) = await CustomerAsync([60]);
        await customer.SayAsync(first);
        var planned = await PendingFollowUpAsync(customer.TenantId);

        await customer.SayAsync(optOut);
        await using (var work = app.Scopes.ForTenant(customer.TenantId))
        {
            var contact = await Eventually.GetAsync(() => work.Db.Contacts.AsNoTracking().SingleAsync(), c => c.OptedOutAt is not null,
                "the opt-out flag", Generous);
            Assert.NotNull(contact.OptedOutAt);
        }
        Assert.Equal(ScheduledItemStatus.Cancelled, (await ItemAsync(customer.TenantId, planned.Id)).Status);
        Assert.Single(await customer.BotMessagesAsync(), m => m.Body!.Contains(acknowledgement));
        Assert.Contains(await customer.EventsAsync(), e => e.Type == ConversationEventType.OptedOut);

        // Set after the opt-out, a message still does not go: every automated send checks the flag when it fires.
        var created = await api.PostAsJsonAsync($"/api/v1/tenants/{customer.TenantId}/conversations/{planned.ConversationId}/scheduled",
            new { at = DateTimeOffset.UtcNow.AddSeconds(2), text = "Tenemos una promoción" });
        var scheduledId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var skipped = await Eventually.GetAsync(() => ItemAsync(customer.TenantId, scheduledId), i => i.Status != ScheduledItemStatus.Pending,
            "the scheduled message's time", Generous);
        Assert.Equal(ScheduledItemStatus.Skipped, skipped.Status);
        Assert.Equal("opted_out", skipped.Outcome);

        // Saying it again is not acknowledged again, and the bot's answers plan no new follow-up.
        await customer.SayAsync(optOut);
        await customer.WaitUntilSettledAsync();
        Assert.Single(await customer.BotMessagesAsync(), m => m.Body!.Contains(acknowledgement));
        Assert.DoesNotContain(await FollowUpsAsync(customer.TenantId), i => i.Status == ScheduledItemStatus.Pending);
        Assert.DoesNotContain(await customer.BotMessagesAsync(), m => m.Body!.Contains("promoción"));
        // The first message's answer and the acknowledgement: the bot does not also answer the opt-out itself.
        Assert.Equal(2, (await customer.BotMessagesAsync()).Count);
    }

    [Fact]
    public async Task A_due_follow_up_is_sent_once_in_the_customers_language_and_plans_the_next_attempt()
    {
        var (customer, _) = await CustomerAsync([60, 1380]);
        await customer.SayAsync("Hola, ¿tienen citas para mañana?");
        await customer.WaitUntilSettledAsync();
        var planned = await PendingFollowUpAsync(customer.TenantId);
        var botBefore = (await customer.BotMessagesAsync()).Count;

        await DueSoonAsync(customer.TenantId, planned.Id);
        var sent = await Eventually.GetAsync(() => ItemAsync(customer.TenantId, planned.Id), i => i.Status != ScheduledItemStatus.Pending,
            "the follow-up to fire", Generous);
        Assert.Equal(ScheduledItemStatus.Done, sent.Status);
        var bot = await customer.BotMessagesAsync();
        Assert.Equal(botBefore + 1, bot.Count);
        var message = Assert.Single(bot, m => m.Id == sent.MessageId);
        Assert.StartsWith("¡Hola", message.Body);

        var next = Assert.Single(await FollowUpsAsync(customer.TenantId), i => i.Status == ScheduledItemStatus.Pending);
        Assert.InRange(next.At, sent.SettledAt!.Value.AddMinutes(1380).AddSeconds(-1), sent.SettledAt.Value.AddMinutes(1380).AddSeconds(1));
    }

    [Fact]
    public async Task Outside_the_customer_window_without_a_template_the_follow_up_fails_and_says_so_in_the_timeline()
    {
        var (customer, _) = await CustomerAsync([60]);
        await customer.SayAsync("Hola, quiero información");
        await customer.WaitUntilSettledAsync();
        var planned = await PendingFollowUpAsync(customer.TenantId);
        await using (var work = app.Scopes.ForTenant(customer.TenantId))
            await work.Db.Conversations.Where(c => c.Id == planned.ConversationId)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.CustomerWindowExpiresAt, DateTimeOffset.UtcNow.AddHours(-1)));

        await DueSoonAsync(customer.TenantId, planned.Id);
        var failed = await Eventually.GetAsync(() => ItemAsync(customer.TenantId, planned.Id), i => i.Status != ScheduledItemStatus.Pending,
            "the follow-up to fire", Generous);
        Assert.Equal(ScheduledItemStatus.Failed, failed.Status);
        Assert.Equal("no_template", failed.Outcome);
        Assert.Contains(await customer.EventsAsync(), e => e.Type == ConversationEventType.ScheduledFailed && e.Data!.Contains("FollowUp.NoTemplate"));
    }

    [Fact]
    public async Task Outside_the_customer_window_the_follow_up_is_the_workspaces_template()
    {
        var (customer, _) = await CustomerAsync([60], template: "seguimiento_1");
        await customer.SayAsync("Hola, quiero información");
        await customer.WaitUntilSettledAsync();
        var planned = await PendingFollowUpAsync(customer.TenantId);
        await using (var work = app.Scopes.ForTenant(customer.TenantId))
            await work.Db.Conversations.Where(c => c.Id == planned.ConversationId)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.CustomerWindowExpiresAt, DateTimeOffset.UtcNow.AddHours(-1)));

        await DueSoonAsync(customer.TenantId, planned.Id);
        var sent = await Eventually.GetAsync(() => ItemAsync(customer.TenantId, planned.Id), i => i.Status != ScheduledItemStatus.Pending,
            "the follow-up to fire", Generous);
        Assert.Equal(ScheduledItemStatus.Done, sent.Status);
        var message = Assert.Single(await customer.BotMessagesAsync(), m => m.Id == sent.MessageId);
        Assert.Equal(MessageType.Template, message.Type);
        Assert.Contains("seguimiento_1", message.Body);
    }

    /// <summary>Brings a planned follow-up's time to now and lets its Quartz trigger fire (what waiting the gap would do).</summary>
    private async Task DueSoonAsync(Guid tenantId, Guid itemId)
    {
        var at = DateTimeOffset.UtcNow.AddSeconds(1);
        await using (var work = app.Scopes.ForTenant(tenantId))
            await work.Db.ScheduledItems.Where(i => i.Id == itemId).ExecuteUpdateAsync(s => s.SetProperty(i => i.At, at));
        await app.Services.GetRequiredService<ScheduledItems>().TriggerAsync(tenantId, itemId, at, default);
    }
}
