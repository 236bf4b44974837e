using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Channels.Inbound;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Channels;

/// <summary>
/// The processor applies many deliveries in one transaction with set-based reads. Later deliveries of a batch must
/// see what earlier ones created (a new customer writing three times is one contact and one conversation), and a
/// message that arrives twice in different envelopes is stored once.
/// </summary>
public class WebhookBatchTests : IAsyncLifetime
{
    // No background workers: the test runs the batch itself, so all deliveries land in one batch.
    private readonly NodeAppFactory _app = new(null, new Dictionary<string, string?> { ["Webhooks:Workers"] = "0", ["Agent:Workers"] = "0" });

    public Task InitializeAsync() => _app.InitializeAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task One_batch_with_a_new_customer_writing_three_times_and_a_repeated_message_makes_one_contact_one_conversation_three_messages()
    {
        var tenant = await _app.TenantAsync();
        var channel = await _app.ChannelAsync(tenant.Id);
        var hooks = new WebhookClient(_app.CreateClient());
        var waId = "52155" + Random.Shared.Next(10000000, 99999999);
        var wamids = Enumerable.Range(0, 3).Select(_ => "wamid." + Guid.NewGuid().ToString("N")).ToArray();
        var at = DateTimeOffset.UtcNow.AddMinutes(-1);
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await hooks.PostMetaAsync("whatsapp",
                Deliveries.WhatsAppText(channel.ExternalId, waId, wamids[i], $"mensaje {i}", at.AddSeconds(i)))).StatusCode);
        // The first message again in a different envelope (another body, so intake keeps it): a re-delivery.
        Assert.Equal(HttpStatusCode.OK, (await hooks.PostMetaAsync("whatsapp",
            Deliveries.WhatsAppText(channel.ExternalId, waId, wamids[0], "mensaje 0 (reenviado)", at))).StatusCode);

        var batch = await _app.Services.GetRequiredService<WebhookProcessor>().ProcessBatchAsync(50, CancellationToken.None);

        // All four in one transaction: no conflict sent the batch down the one-by-one path.
        Assert.Equal(new BatchResult(4, OneByOne: false), batch);
        await using var work = _app.Scopes.ForTenant(tenant.Id);
        var contact = await work.Db.Contacts.Include(c => c.Identities).SingleAsync();
        Assert.Equal(waId, Assert.Single(contact.Identities).Value);
        var conversation = await work.Db.Conversations.SingleAsync();
        Assert.Equal(contact.Id, conversation.ContactId);
        Assert.Equal(3, conversation.UnreadCount);
        var texts = await work.Db.Messages.Where(m => m.ConversationId == conversation.Id).OrderBy(m => m.SentAt).Select(m => m.Body).ToListAsync();
        Assert.Equal(["mensaje 0", "mensaje 1", "mensaje 2"], texts);
        await using var system = _app.Scopes.ForSystem("test");
        Assert.All(await system.Db.WebhookDeliveries.ToListAsync(), d => Assert.Equal(DeliveryState.Processed, d.State));
    }

    [Fact]
    public async Task A_later_batch_finds_the_customer_and_open_conversation_of_an_earlier_one()
    {
        var tenant = await _app.TenantAsync();
        var channel = await _app.ChannelAsync(tenant.Id);
        var hooks = new WebhookClient(_app.CreateClient());
        var processor = _app.Services.GetRequiredService<WebhookProcessor>();
        var waId = "52155" + Random.Shared.Next(10000000, 99999999);
        await hooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(channel.ExternalId, waId, "wamid." + Guid.NewGuid().ToString("N"), "hola", DateTimeOffset.UtcNow));
        Assert.Equal(new BatchResult(1, OneByOne: false), await processor.ProcessBatchAsync(50, CancellationToken.None));
        await hooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(channel.ExternalId, waId, "wamid." + Guid.NewGuid().ToString("N"), "¿precio?", DateTimeOffset.UtcNow));
        Assert.Equal(new BatchResult(1, OneByOne: false), await processor.ProcessBatchAsync(50, CancellationToken.None));

        await using var work = _app.Scopes.ForTenant(tenant.Id);
        var contact = await work.Db.Contacts.SingleAsync(c => c.PhoneE164 != null && c.Identities.Any(i => i.Value == waId));
        var conversation = await work.Db.Conversations.SingleAsync(c => c.ContactId == contact.Id);
        Assert.Equal(2, await work.Db.Messages.CountAsync(m => m.ConversationId == conversation.Id));
        Assert.Equal(2, conversation.UnreadCount);
    }

    [Fact]
    public async Task A_status_that_outruns_its_send_waits_alone_and_the_rest_of_the_batch_is_applied()
    {
        var tenant = await _app.TenantAsync();
        var channel = await _app.ChannelAsync(tenant.Id);
        var hooks = new WebhookClient(_app.CreateClient());
        var unknown = "wamid." + Guid.NewGuid().ToString("N");
        var wamid = "wamid." + Guid.NewGuid().ToString("N");
        await hooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppStatus(channel.ExternalId, unknown, "delivered", DateTimeOffset.UtcNow));
        await hooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(channel.ExternalId, "5215511112222", wamid, "hola", DateTimeOffset.UtcNow));

        var batch = await _app.Services.GetRequiredService<WebhookProcessor>().ProcessBatchAsync(50, CancellationToken.None);

        Assert.Equal(new BatchResult(2, OneByOne: false), batch);
        await using (var work = _app.Scopes.ForTenant(tenant.Id))
            Assert.True(await work.Db.Messages.AnyAsync(m => m.ExternalId == wamid));
        await using var system = _app.Scopes.ForSystem("test");
        var deliveries = await system.Db.WebhookDeliveries.ToListAsync();
        var waiting = Assert.Single(deliveries, d => d.State == DeliveryState.Pending);
        Assert.Equal(1, waiting.Attempts);
        Assert.Contains(unknown, waiting.LastError);
        Assert.Single(deliveries, d => d.State == DeliveryState.Processed);
    }

    [Fact]
    public async Task One_batch_of_two_workspaces_stops_each_customers_follow_up_and_flags_and_acknowledges_only_the_one_who_opted_out()
    {
        var hooks = new WebhookClient(_app.CreateClient());
        var processor = _app.Services.GetRequiredService<WebhookProcessor>();
        var customers = new List<(Guid TenantId, string Phone, string WaId)>();
        foreach (var first in new[] { "Hola, quiero información", "Hola, ¿qué precios tienen?" })
        {
            var tenant = await _app.TenantAsync();
            var channel = await _app.ChannelAsync(tenant.Id);
            var waId = "52155" + Random.Shared.Next(10000000, 99999999);
            customers.Add((tenant.Id, channel.ExternalId, waId));
            await hooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(channel.ExternalId, waId, "wamid." + Guid.NewGuid().ToString("N"), first, DateTimeOffset.UtcNow));
        }
        Assert.Equal(new BatchResult(2, OneByOne: false), await processor.ProcessBatchAsync(50, CancellationToken.None));
        var followUps = new List<Guid>();
        foreach (var (tenantId, _, _) in customers)
        {
            await using var work = _app.Scopes.ForTenant(tenantId);
            var now = DateTimeOffset.UtcNow;
            var item = ScheduledItem.Schedule(await work.Db.Conversations.SingleAsync(), ScheduledItemKind.FollowUp, now.AddHours(1), null, null, now);
            work.Db.ScheduledItems.Add(item);
            await work.Db.SaveChangesAsync();
            followUps.Add(item.Id);
        }

        // One batch: the first customer opts out, the second writes on.
        await hooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(customers[0].Phone, customers[0].WaId, "wamid." + Guid.NewGuid().ToString("N"), "¡BAJA!", DateTimeOffset.UtcNow));
        await hooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(customers[1].Phone, customers[1].WaId, "wamid." + Guid.NewGuid().ToString("N"), "Sigo interesado", DateTimeOffset.UtcNow));
        Assert.Equal(new BatchResult(2, OneByOne: false), await processor.ProcessBatchAsync(50, CancellationToken.None));

        for (var i = 0; i < 2; i++)
        {
            await using var work = _app.Scopes.ForTenant(customers[i].TenantId);
            Assert.Equal(ScheduledItemStatus.Cancelled, (await work.Db.ScheduledItems.SingleAsync(x => x.Id == followUps[i])).Status);
            var contact = await work.Db.Contacts.SingleAsync();
            var acknowledgements = await work.Db.Messages.CountAsync(m => m.Direction == MessageDirection.Outbound && m.Body!.Contains("no te enviaremos más mensajes"));
            Assert.Equal(i == 0 ? (true, 1) : (false, 0), (contact.OptedOutAt is not null, acknowledgements));
        }
    }
}
