using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Channels;

/// <summary>
/// The process dies after the channel accepted a send and before the send's outcome was committed. The message then
/// waits the reconciliation window (Outbound:ReconcileSeconds) for a status or echo that names it (our id rides in
/// biz_opaque_callback_data / metadata): one that arrives marks it sent with the channel's id; without one it is sent
/// again once the window (counted from the restart) ends, and a late status of the first send adds no second message. Each test kills a node (the
/// in-process stand-in for kill -9: the send is cut off mid-call, nothing after it runs) and restarts one on the same
/// database with a fake clock; the fake Graph API posts its statuses and echoes back like Meta (or drops them).
/// </summary>
public sealed class SendReconciliationTests : IAsyncLifetime
{
    private const int WindowSeconds = 60;
    private FakeGraphApi _graph = default!;
    private string _database = "";
    private readonly List<FakeClockAppFactory> _nodes = [];

    public async Task InitializeAsync()
    {
        _graph = await FakeGraphApi.StartAsync();
        _database = await TestDatabase.CreateAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        await _graph.DisposeAsync();
        await TestDatabase.DropAsync(_database);
    }

    private Dictionary<string, string?> Settings => new()
    {
        ["Outbound:Mode"] = "Live",
        ["Outbound:ReconcileSeconds"] = WindowSeconds.ToString(),
        ["Meta:GraphBaseUrl"] = _graph.BaseUrl.ToString().TrimEnd('/'),
        ["Meta:GraphVersion"] = "v23.0",
        ["Agent:Workers"] = "0", // the only sends are the tests' own
    };

    private async Task<FakeClockAppFactory> StartNodeAsync()
    {
        var node = new FakeClockAppFactory(Settings, _database);
        _nodes.Add(node);
        await node.InitializeAsync();
        return node;
    }

    private sealed record Crashed(FakeClockAppFactory Node, Guid TenantId, Guid ConversationId, Guid MessageId, DateTimeOffset Lease);

    /// <summary>Queues a reply on a first node, lets the fake accept it, and kills the node before the answer arrives.</summary>
    private async Task<Crashed> CrashAfterTheChannelAcceptedAsync(ChannelKind kind)
    {
        var first = await StartNodeAsync();
        var tenant = await first.TenantAsync();
        var channel = await first.ChannelAsync(tenant.Id, kind);
        var customer = kind == ChannelKind.WhatsApp ? "52155" + Random.Shared.Next(10000000, 99999999) : Random.Shared.NextInt64(1_000_000_000_000_000, 9_999_999_999_999_999).ToString();
        var conversation = await first.ConversationAsync(tenant.Id, "Cliente", "hola", channel, customer);
        _graph.DelayNext(TimeSpan.FromMinutes(5)); // accepted at once, the answer held: the node dies before it learns the id
        var start = first.Clock.GetUtcNow();
        var id = await QueueAsync(first, tenant.Id, conversation.Id, "Su cita es el jueves a las 10:00");
        await Eventually.TrueAsync(() => Task.FromResult(_graph.Accepted.Count == 1), "the channel to accept the send");

        await first.DisposeAsync(); // kill -9 stand-in: the call is cut off, the outcome never committed
        _nodes.Remove(first);
        var second = await StartNodeAsync();
        // The window counts from the restart, not from the send: the status that settles it can only arrive while a node
        // is up (Meta retries it meanwhile), so a window that ran out during a slow restart would send it twice.
        Assert.True(second.Clock.GetUtcNow() > start);
        var lease = second.Clock.GetUtcNow().AddSeconds(WindowSeconds);
        await Eventually.TrueAsync(async () =>
        {
            await using var work = second.Scopes.ForTenant(tenant.Id);
            return await work.Db.Messages.AsNoTracking().AnyAsync(m => m.Id == id && m.NextAttemptAt == lease);
        }, "the send in doubt to wait a whole window from the restart");
        return new Crashed(second, tenant.Id, conversation.Id, id, lease);
    }

    private static async Task<Guid> QueueAsync(FakeClockAppFactory node, Guid tenantId, Guid conversationId, string text)
    {
        var api = node.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        var queued = await api.PostAsJsonAsync($"/api/v1/tenants/{tenantId}/conversations/{conversationId}/messages", new { text });
        Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
        return (await queued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private static Task<Message> MessageAsync(Crashed c, Guid id, Func<Message, bool> until, string what) => Eventually.GetAsync(async () =>
    {
        await using var work = c.Node.Scopes.ForTenant(c.TenantId);
        return await work.Db.Messages.AsNoTracking().SingleAsync(m => m.Id == id);
    }, until, what, TimeSpan.FromSeconds(30));

    private static async Task<List<Message>> OutboundAsync(Crashed c)
    {
        await using var work = c.Node.Scopes.ForTenant(c.TenantId);
        return await work.Db.Messages.AsNoTracking().Where(m => m.Direction == MessageDirection.Outbound).OrderBy(m => m.CreatedAt).ToListAsync();
    }

    /// <summary>Once a later message of the conversation is out, the dispatcher has decided every earlier one (they leave in order).</summary>
    private async Task SendOneMoreAndWaitAsync(Crashed c)
    {
        var later = await QueueAsync(c.Node, c.TenantId, c.ConversationId, "¿Algo más?");
        await MessageAsync(c, later, m => m.Status == DeliveryStatus.Sent, "the later message to be sent");
    }

    private static async Task AllWebhooksProcessedAsync(Crashed c) => await Eventually.TrueAsync(async () =>
    {
        await using var work = c.Node.Scopes.ForSystem("test: webhooks settled");
        return !await work.Db.WebhookDeliveries.AnyAsync(d => d.State == DeliveryState.Pending);
    }, "every webhook delivery to be processed");

    [Fact]
    public async Task A_send_accepted_before_a_crash_is_marked_sent_by_the_status_naming_it_and_never_sent_again()
    {
        var c = await CrashAfterTheChannelAcceptedAsync(ChannelKind.WhatsApp);
        var accepted = Assert.Single(_graph.Accepted);
        Assert.Equal(c.MessageId.ToString("N"), accepted.OurId); // the send carried our id as biz_opaque_callback_data

        _graph.WebhookTarget = c.Node.CreateClient(); // Meta's status, retried while the app was down, now gets through
        var sent = await MessageAsync(c, c.MessageId, m => m.Status == DeliveryStatus.Sent, "the status to mark the message sent");
        Assert.Equal(accepted.ExternalId, sent.ExternalId);

        // Later statuses apply to it by its wamid.
        var delivered = await new WebhookClient(c.Node.CreateClient()).PostMetaAsync("whatsapp",
            Deliveries.WhatsAppStatus(accepted.AccountId, accepted.ExternalId, "delivered", c.Node.Clock.GetUtcNow()));
        Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        await MessageAsync(c, c.MessageId, m => m.Status == DeliveryStatus.Delivered, "the delivered status to apply");

        // Long after the window: still one send of it at the channel, one row.
        c.Node.Clock.Advance(c.Lease - c.Node.Clock.GetUtcNow() + TimeSpan.FromSeconds(1));
        await SendOneMoreAndWaitAsync(c);
        Assert.Equal(2, _graph.Accepted.Count); // the crashed one once, the later one once
        Assert.Single(_graph.Accepted, a => a.OurId == c.MessageId.ToString("N"));
        Assert.Equal(2, (await OutboundAsync(c)).Count);
    }

    [Fact]
    public async Task Without_a_status_the_send_waits_the_window_then_goes_exactly_once_and_a_late_status_adds_no_second_message()
    {
        _graph.DropNextStatus(); // Meta never reports the first send
        var c = await CrashAfterTheChannelAcceptedAsync(ChannelKind.WhatsApp);
        _graph.WebhookTarget = c.Node.CreateClient();

        // The lease committed before the call is what keeps it: not due until the window has passed.
        var waiting = await MessageAsync(c, c.MessageId, _ => true, "the message");
        Assert.Equal((DeliveryStatus.Queued, (string?)null, c.Lease), (waiting.Status, waiting.ExternalId, waiting.NextAttemptAt!.Value));
        Assert.Single(_graph.Accepted);

        c.Node.Clock.Advance(c.Lease - c.Node.Clock.GetUtcNow());
        var resent = await MessageAsync(c, c.MessageId, m => m.Status >= DeliveryStatus.Sent, "the send to go again after the window");
        Assert.Equal(2, _graph.Accepted.Count);
        Assert.All(_graph.Accepted, a => Assert.Equal(c.MessageId.ToString("N"), a.OurId));
        Assert.Equal(_graph.Accepted[1].ExternalId, resent.ExternalId);

        // The first send's status turns up after all: it names our message, which is already sent as the second wamid.
        var late = await new WebhookClient(c.Node.CreateClient()).PostMetaAsync("whatsapp", _graph.Accepted[0].Webhook);
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        await AllWebhooksProcessedAsync(c);
        await SendOneMoreAndWaitAsync(c);
        var outbound = await OutboundAsync(c);
        Assert.Equal(2, outbound.Count); // the reply and the later message: no row for the late status
        Assert.Equal(_graph.Accepted[1].ExternalId, outbound.Single(m => m.Id == c.MessageId).ExternalId);
        Assert.Equal(3, _graph.Accepted.Count); // re-sent exactly once
    }

    [Fact]
    public async Task A_Messenger_send_accepted_before_a_crash_is_marked_sent_by_its_echo_without_a_second_message()
    {
        var c = await CrashAfterTheChannelAcceptedAsync(ChannelKind.Messenger);
        var accepted = Assert.Single(_graph.Accepted);
        Assert.Equal(("messenger", c.MessageId.ToString("N")), (accepted.Source, accepted.OurId)); // our id as the send's metadata

        _graph.WebhookTarget = c.Node.CreateClient(); // the echo repeats the metadata
        var sent = await MessageAsync(c, c.MessageId, m => m.Status == DeliveryStatus.Sent, "the echo to mark the message sent");
        Assert.Equal(accepted.ExternalId, sent.ExternalId);

        c.Node.Clock.Advance(c.Lease - c.Node.Clock.GetUtcNow() + TimeSpan.FromSeconds(1));
        await AllWebhooksProcessedAsync(c);
        await SendOneMoreAndWaitAsync(c);
        Assert.Equal(2, _graph.Accepted.Count);
        var outbound = await OutboundAsync(c);
        Assert.Equal(2, outbound.Count); // the echo did not become a "replied from another app" message
        await using var work = c.Node.Scopes.ForTenant(c.TenantId);
        var conversation = await work.Db.Conversations.AsNoTracking().SingleAsync(x => x.Id == c.ConversationId);
        Assert.NotEqual(ConversationOwner.Human, conversation.Owner); // nor paused the bot
    }
}
