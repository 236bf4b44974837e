using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Scheduling;
using OperatorConsole.Tests.Support;
using Quartz;

namespace OperatorConsole.Tests.Scheduling;

/// <summary>
/// Messages and reminders set for a time on a conversation, fired by Quartz's clustered store on two nodes: real time,
/// short delays, the test waits for the database (no sleeps). "Once" is checked after Quartz has let go of the trigger
/// of the item's second.
/// </summary>
public class ScheduledItemTests(TwoSchedulingNodes nodes) : IClassFixture<TwoSchedulingNodes>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(45);

    private HttpClient Client(string key)
    {
        var client = nodes.A.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private Task<HttpClient> TenantKeyAsync(Guid tenantId) => nodes.A.TenantApiAsync(tenantId, "scheduled");

    private ScheduledItems Items(ConsoleAppFactory node) => node.Services.GetRequiredService<ScheduledItems>();

    [Fact]
    public async Task A_scheduled_message_goes_once_at_its_time_with_two_nodes_running()
    {
        var tenant = await nodes.A.TenantAsync();
        var api = await TenantKeyAsync(tenant.Id);
        var conversation = await nodes.A.ConversationAsync(tenant.Id, "Rosa");
        var at = DateTimeOffset.UtcNow.AddSeconds(5);

        var created = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/conversations/{conversation.Id}/scheduled",
            new { at, text = "Hola Rosa, ¿confirmamos tu cita de mañana?" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var item = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("message", item.GetProperty("kind").GetString());
        Assert.Equal("pending", item.GetProperty("status").GetString());
        var id = item.GetProperty("id").GetGuid();

        var sent = await Eventually.GetAsync(() => ItemAsync(tenant.Id, id), i => i.Status == ScheduledItemStatus.Done, "the message to be sent", Generous);
        Assert.True(sent.SettledAt >= at, "sent before its time");
        await WaitUntilQuartzIsDoneWithAsync(ScheduledItems.TriggerKeyFor(at));
        await using (var work = nodes.A.Scopes.ForTenant(tenant.Id))
        {
            var messages = await work.Db.Messages.Where(m => m.ConversationId == conversation.Id && m.Direction == MessageDirection.Outbound).ToListAsync();
            var message = Assert.Single(messages);
            Assert.Equal(sent.MessageId, message.Id);
            Assert.Contains("confirmamos tu cita", message.Body);
        }
        var listed = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/conversations/{conversation.Id}/scheduled");
        Assert.Equal("done", listed.GetProperty("items")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_cancelled_message_never_goes_even_if_its_trigger_fires()
    {
        var tenant = await nodes.A.TenantAsync();
        var api = await TenantKeyAsync(tenant.Id);
        var conversation = await nodes.A.ConversationAsync(tenant.Id, "Luis");
        var at = DateTimeOffset.UtcNow.AddSeconds(3);
        var created = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/conversations/{conversation.Id}/scheduled",
            new { at, text = "No debería llegar" });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        var cancel = await api.DeleteAsync($"/api/v1/tenants/{tenant.Id}/conversations/{conversation.Id}/scheduled/{id}");
        Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);
        var again = await api.DeleteAsync($"/api/v1/tenants/{tenant.Id}/conversations/{conversation.Id}/scheduled/{id}");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, again.StatusCode);
        Assert.Contains("scheduled.not_pending", await again.Content.ReadAsStringAsync());

        // A trigger that outlived the cancel (a node had it in hand) finds the row cancelled and does nothing.
        Assert.False(await Items(nodes.B).FireAsync(tenant.Id, id));
        await WaitUntilQuartzIsDoneWithAsync(ScheduledItems.TriggerKeyFor(at));
        Assert.Equal(ScheduledItemStatus.Cancelled, (await ItemAsync(tenant.Id, id)).Status);
        await using var work = nodes.A.Scopes.ForTenant(tenant.Id);
        Assert.False(await work.Db.Messages.AnyAsync(m => m.ConversationId == conversation.Id && m.Direction == MessageDirection.Outbound));
    }

    [Fact]
    public async Task Bad_times_and_other_tenants_ids_get_clear_answers()
    {
        var tenant = await nodes.A.TenantAsync();
        var other = await nodes.A.TenantAsync();
        var api = await TenantKeyAsync(tenant.Id);
        var conversation = await nodes.A.ConversationAsync(tenant.Id, "Eva");
        var theirs = await nodes.A.ConversationAsync(other.Id, "Ajena");
        var route = $"/api/v1/tenants/{tenant.Id}/conversations/{conversation.Id}/scheduled";

        var past = await api.PostAsJsonAsync(route, new { at = DateTimeOffset.UtcNow.AddMinutes(-5), text = "tarde" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, past.StatusCode);
        Assert.Contains("scheduled.past", await past.Content.ReadAsStringAsync());
        var far = await api.PostAsJsonAsync(route, new { at = DateTimeOffset.UtcNow.AddYears(2), text = "lejos" });
        Assert.Contains("scheduled.too_far", await far.Content.ReadAsStringAsync());
        var noTime = await api.PostAsJsonAsync(route, new { text = "¿cuándo?" });
        Assert.Equal(HttpStatusCode.BadRequest, noTime.StatusCode);
        var empty = await api.PostAsJsonAsync(route, new { at = DateTimeOffset.UtcNow.AddHours(1), text = "  " });
        Assert.Contains("scheduled.text", await empty.Content.ReadAsStringAsync());

        // Another tenant's conversation is not found, whether scheduling on it or cancelling through it.
        var foreign = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/conversations/{theirs.Id}/scheduled",
            new { at = DateTimeOffset.UtcNow.AddHours(1), text = "hola" });
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        var theirItem = await Items(nodes.A).ScheduleAsync(InboxActor.Integration(other.Id), theirs.Id, ScheduledItemKind.Message,
            DateTimeOffset.UtcNow.AddHours(1), "de otro negocio");
        var cancelTheirs = await api.DeleteAsync($"{route}/{theirItem.Id}");
        Assert.Equal(HttpStatusCode.NotFound, cancelTheirs.StatusCode);
        Assert.Equal(ScheduledItemStatus.Pending, (await ItemAsync(other.Id, theirItem.Id)).Status);
        await Items(nodes.A).CancelAsync(InboxActor.Integration(other.Id), theirs.Id, theirItem.Id);
    }

    [Fact]
    public async Task A_reminder_reaches_its_author_like_a_mention_and_only_them()
    {
        var tenant = await nodes.A.TenantAsync();
        var conversation = await nodes.A.ConversationAsync(tenant.Id, "Paco");
        Guid memberId;
        await using (var work = nodes.A.Scopes.ForTenant(tenant.Id))
            memberId = await work.Db.TenantMembers.Where(m => m.UserId == tenant.OwnerUserId).Select(m => m.Id).SingleAsync();
        var author = new InboxActor(tenant.Id, memberId, TenantRole.Owner, "Dueña");
        var since = DateTimeOffset.UtcNow;

        var item = await Items(nodes.A).ScheduleAsync(author, conversation.Id, ScheduledItemKind.Reminder, DateTimeOffset.UtcNow.AddSeconds(5),
            "Llamar a Paco por el presupuesto");
        // A reminder is its author's: another member does not see it.
        var other = new InboxActor(tenant.Id, Guid.NewGuid(), TenantRole.Owner, "Otro");
        Assert.Empty(await Items(nodes.A).ListAsync(other, conversation.Id));

        await Eventually.GetAsync(() => ItemAsync(tenant.Id, item.Id), i => i.Status == ScheduledItemStatus.Done, "the reminder to come due", Generous);
        var mentions = await nodes.A.Services.GetRequiredService<InboxQueries>().MentionsSinceAsync(tenant.Id, memberId, since);
        Assert.Equal(conversation.Id, Assert.Single(mentions).ConversationId);
        await using var check = nodes.A.Scopes.ForTenant(tenant.Id);
        Assert.False(await check.Db.Messages.AnyAsync(m => m.ConversationId == conversation.Id && m.Direction == MessageDirection.Outbound));
        var note = await check.Db.ConversationEvents.SingleAsync(e => e.ConversationId == conversation.Id && e.Type == ConversationEventType.Reminder);
        Assert.Equal("Llamar a Paco por el presupuesto", note.Text);
    }

    [Fact]
    public async Task A_message_due_after_the_customer_window_closed_is_not_sent_and_the_conversation_says_why()
    {
        var tenant = await nodes.A.TenantAsync();
        var conversation = await nodes.A.ConversationAsync(tenant.Id, "Nora", lastInboundAt: DateTimeOffset.UtcNow.AddDays(-2));
        var item = await Items(nodes.A).ScheduleAsync(InboxActor.Integration(tenant.Id), conversation.Id, ScheduledItemKind.Message,
            DateTimeOffset.UtcNow.AddSeconds(5), "¿Sigues interesada?");

        var failed = await Eventually.GetAsync(() => ItemAsync(tenant.Id, item.Id), i => i.Status == ScheduledItemStatus.Failed,
            "the send to be refused", Generous);
        Assert.Equal("window_closed", failed.Outcome);
        await using var work = nodes.A.Scopes.ForTenant(tenant.Id);
        var why = await work.Db.ConversationEvents.SingleAsync(e => e.ConversationId == conversation.Id && e.Type == ConversationEventType.ScheduledFailed);
        Assert.Equal("Scheduled.NotSent", TextRefs.Parse(why.Data)?.Key);
        Assert.False(await work.Db.Messages.AnyAsync(m => m.ConversationId == conversation.Id && m.Direction == MessageDirection.Outbound));
    }

    [Fact]
    public async Task An_item_found_hours_late_is_dropped_and_said_so_instead_of_sent()
    {
        var tenant = await nodes.A.TenantAsync();
        var conversation = await nodes.A.ConversationAsync(tenant.Id, "Tomás");
        var now = DateTimeOffset.UtcNow;
        ScheduledItem late;
        await using (var work = nodes.A.Scopes.ForTenant(tenant.Id))
        {
            // Set yesterday for three hours ago, while (as far as this row knows) every node was down.
            var c = await work.Db.Conversations.SingleAsync(x => x.Id == conversation.Id);
            late = ScheduledItem.Schedule(c, ScheduledItemKind.Message, now.AddHours(-3), "Te espero a las 9", null, now.AddDays(-1));
            work.Db.ScheduledItems.Add(late);
            await work.Db.SaveChangesAsync();
        }

        Assert.True(await Items(nodes.B).SweepAsync(TimeSpan.FromMinutes(1)) >= 1);
        var dropped = await ItemAsync(tenant.Id, late.Id);
        Assert.Equal((ScheduledItemStatus.Skipped, "too_late"), (dropped.Status, dropped.Outcome));
        await using var check = nodes.A.Scopes.ForSystem("test");
        Assert.True(await check.Db.SystemEvents.AnyAsync(e => e.TenantId == tenant.Id && e.MessageKey == "SystemEvent.ScheduledTooLate"));
        Assert.False(await check.Db.Messages.AnyAsync(m => m.ConversationId == conversation.Id && m.Direction == MessageDirection.Outbound));
    }

    private async Task<ScheduledItem> ItemAsync(Guid tenantId, Guid id)
    {
        await using var work = nodes.A.Scopes.ForTenant(tenantId);
        return await work.Db.ScheduledItems.AsNoTracking().SingleAsync(i => i.Id == id);
    }

    private Task WaitUntilQuartzIsDoneWithAsync(TriggerKey key) => QuartzProbe.WaitUntilDoneWithAsync(nodes.A.OwnerConnectionString, key, Generous);
}
