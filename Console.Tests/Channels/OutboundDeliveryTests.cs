using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Channels;

/// <summary>The app sending for real (Outbound:Mode=Live) to a local fake Graph API that speaks Meta's wire format.</summary>
public sealed class LiveOutboundApp : IAsyncLifetime
{
    public FakeGraphApi Graph { get; private set; } = default!;
    public NodeAppFactory App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Graph = await FakeGraphApi.StartAsync();
        App = new NodeAppFactory(null, new Dictionary<string, string?>
        {
            ["Outbound:Mode"] = "Live",
            ["Meta:GraphBaseUrl"] = Graph.BaseUrl.ToString().TrimEnd('/'),
            ["Meta:GraphVersion"] = "v23.0",
        });
        await App.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Graph.DisposeAsync();
    }
}

public class OutboundDeliveryTests(LiveOutboundApp live) : IClassFixture<LiveOutboundApp>
{
    private NodeAppFactory App => live.App;
    private FakeGraphApi Graph => live.Graph;

    private HttpClient Api()
    {
        var client = App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        return client;
    }

    private async Task<(Guid TenantId, Channel Channel, Conversation Conversation, string WaId)> WhatsAppConversationAsync(DateTimeOffset? lastInbound = null)
    {
        var tenant = await App.TenantAsync();
        var channel = await App.ChannelAsync(tenant.Id);
        var waId = "52155" + Random.Shared.Next(10000000, 99999999);
        var conversation = await App.ConversationAsync(tenant.Id, "Cliente", "hola", channel, waId, lastInbound);
        return (tenant.Id, channel, conversation, waId);
    }

    private Task<HttpResponseMessage> SendTextAsync(Guid tenantId, Guid conversationId, string text) =>
        Api().PostAsJsonAsync($"/api/v1/tenants/{tenantId}/conversations/{conversationId}/messages", new { text });

    private async Task<Message> SettledAsync(Guid tenantId, Guid messageId) => await Eventually.GetAsync(async () =>
    {
        await using var work = App.Scopes.ForTenant(tenantId);
        return await work.Db.Messages.AsNoTracking().SingleAsync(m => m.Id == messageId);
    }, m => m.Status != DeliveryStatus.Queued, "the dispatcher to settle the message", TimeSpan.FromSeconds(30));

    private static async Task<Guid> QueuedIdAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private IReadOnlyList<GraphRequest> SendsTo(string phoneNumberId) => Graph.Sends.Where(s => s.Path.Contains($"/{phoneNumberId}/")).ToList();

    [Fact]
    public async Task An_agents_reply_reaches_the_Graph_API_and_records_the_wamid()
    {
        var (tenantId, channel, conversation, waId) = await WhatsAppConversationAsync();
        var id = await QueuedIdAsync(await SendTextAsync(tenantId, conversation.Id, "Claro, le agendo el jueves"));
        var message = await SettledAsync(tenantId, id);
        Assert.Equal(DeliveryStatus.Sent, message.Status);
        Assert.StartsWith("wamid.", message.ExternalId);
        var send = Assert.Single(SendsTo(channel.ExternalId));
        Assert.Equal(waId, send.Body!["to"]!.GetValue<string>());
        Assert.Equal("Claro, le agendo el jueves", send.Body["text"]!["body"]!.GetValue<string>());
        Assert.StartsWith("Bearer token-", send.Authorization);
    }

    [Fact]
    public async Task Free_text_outside_the_24_hour_window_is_refused_with_409_and_a_template_still_goes()
    {
        var (tenantId, channel, conversation, _) = await WhatsAppConversationAsync(DateTimeOffset.UtcNow.AddHours(-30));
        var refused = await SendTextAsync(tenantId, conversation.Id, "¿Sigue interesado?");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("The 24-hour window is closed; send a template.", problem.GetProperty("detail").GetString());
        Assert.Equal("window_closed", problem.GetProperty("code").GetString());

        var template = await Api().PostAsJsonAsync($"/api/v1/tenants/{tenantId}/conversations/{conversation.Id}/messages",
            new { template = new { name = "recordatorio_cita", language = "es_MX", parameters = new[] { "Ana", "jueves 10:00" } } });
        var message = await SettledAsync(tenantId, await QueuedIdAsync(template));
        Assert.Equal(DeliveryStatus.Sent, message.Status);
        var body = Assert.Single(SendsTo(channel.ExternalId)).Body!;
        Assert.Equal("recordatorio_cita", body["template"]!["name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(131047, "window")]
    [InlineData(131026, "undeliverable")]
    [InlineData(100, "Invalid parameter")]
    public async Task Permanent_Graph_errors_fail_the_message_with_Metas_reason(int code, string reasonFragment)
    {
        var (tenantId, channel, conversation, _) = await WhatsAppConversationAsync();
        var message = code switch
        {
            131026 => "Message undeliverable",
            100 => "(#100) Invalid parameter",
            _ => "(#131047) Re-engagement message",
        };
        Graph.FailNext(new GraphError(code, Message: message));
        var id = await QueuedIdAsync(await SendTextAsync(tenantId, conversation.Id, "hola"));
        var failed = await SettledAsync(tenantId, id);
        Assert.Equal(DeliveryStatus.Failed, failed.Status);
        Assert.Equal(code.ToString(), failed.ErrorCode);
        Assert.Contains(reasonFragment, failed.ErrorText, StringComparison.OrdinalIgnoreCase);
        Assert.Single(SendsTo(channel.ExternalId)); // no blind retries of a permanent error
    }

    [Theory]
    [InlineData(130429, 400)]
    [InlineData(131056, 400)]
    [InlineData(1, 500)]
    public async Task Throttling_and_server_errors_are_retried_then_sent_once(int code, int httpStatus)
    {
        var (tenantId, channel, conversation, _) = await WhatsAppConversationAsync();
        Graph.FailNext(new GraphError(code, httpStatus, "(#130429) Rate limit hit"));
        var id = await QueuedIdAsync(await SendTextAsync(tenantId, conversation.Id, "reintento"));
        var message = await SettledAsync(tenantId, id);
        Assert.Equal(DeliveryStatus.Sent, message.Status);
        Assert.Equal(2, message.Attempts);
        Assert.Equal(2, SendsTo(channel.ExternalId).Count);
    }

    [Fact]
    public async Task An_expired_token_puts_the_channel_in_error_and_tells_the_command_center()
    {
        var (tenantId, channel, conversation, _) = await WhatsAppConversationAsync();
        Graph.FailNext(new GraphError(190, 401, "Error validating access token: Session has expired"));
        var failed = await SettledAsync(tenantId, await QueuedIdAsync(await SendTextAsync(tenantId, conversation.Id, "hola")));
        Assert.Equal(DeliveryStatus.Failed, failed.Status);
        await using var work = App.Scopes.ForSystem("test");
        var stored = await work.Db.Channels.AsNoTracking().SingleAsync(c => c.Id == channel.Id);
        Assert.Equal(ChannelStatus.Error, stored.Status);
        Assert.Contains("expired", stored.StatusReason, StringComparison.OrdinalIgnoreCase);
        Assert.True(await work.Db.SystemEvents.AnyAsync(e => e.TenantId == tenantId && e.Severity == Severity.Error && e.Message.Contains("access token")));

        // Later sends fail fast with the reason instead of hammering Meta with a dead token.
        var next = await SettledAsync(tenantId, await QueuedIdAsync(await SendTextAsync(tenantId, conversation.Id, "¿hola?")));
        Assert.Equal("channel_error", next.ErrorCode);
        Assert.Single(SendsTo(channel.ExternalId));
    }

    [Fact]
    public async Task A_policy_block_fails_the_message_and_raises_an_alert()
    {
        var (tenantId, _, conversation, _) = await WhatsAppConversationAsync();
        Graph.FailNext(new GraphError(368, 400, "Temporarily blocked for policies violations"));
        var failed = await SettledAsync(tenantId, await QueuedIdAsync(await SendTextAsync(tenantId, conversation.Id, "hola")));
        Assert.Equal(("368", DeliveryStatus.Failed), (failed.ErrorCode, failed.Status));
        await using var work = App.Scopes.ForSystem("test");
        // Read once, right when the message shows as failed: the alert commits with the outcome, never after it.
        Assert.True(await work.Db.SystemEvents.AnyAsync(e => e.TenantId == tenantId && e.Message.Contains("policy")));
    }

    [Fact]
    public async Task Messenger_human_reply_between_24_hours_and_7_days_uses_the_HUMAN_AGENT_tag()
    {
        var tenant = await App.TenantAsync();
        var page = await App.ChannelAsync(tenant.Id, ChannelKind.Messenger);
        var psid = ChannelData.NewExternalId();
        var conversation = await App.ConversationAsync(tenant.Id, "Cliente FB", "hola", page, psid, DateTimeOffset.UtcNow.AddDays(-3));
        var message = await SettledAsync(tenant.Id, await QueuedIdAsync(await SendTextAsync(tenant.Id, conversation.Id, "Perdón la demora")));
        Assert.Equal(DeliveryStatus.Sent, message.Status);
        var body = Assert.Single(SendsTo(page.ExternalId)).Body!;
        Assert.Equal(("MESSAGE_TAG", "HUMAN_AGENT"), (body["messaging_type"]!.GetValue<string>(), body["tag"]!.GetValue<string>()));
        Assert.Equal(psid, body["recipient"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Two_nodes_dispatching_the_same_queue_send_every_message_exactly_once_and_in_order()
    {
        var (tenantId, channel, conversation, _) = await WhatsAppConversationAsync();
        await using var second = new NodeAppFactory(App.Database, new Dictionary<string, string?>
        {
            ["Outbound:Mode"] = "Live",
            ["Meta:GraphBaseUrl"] = Graph.BaseUrl.ToString().TrimEnd('/'),
        });
        await second.InitializeAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 20; i++) ids.Add(await QueuedIdAsync(await SendTextAsync(tenantId, conversation.Id, $"mensaje {i:D2}")));
        foreach (var id in ids) Assert.Equal(DeliveryStatus.Sent, (await SettledAsync(tenantId, id)).Status);

        var texts = SendsTo(channel.ExternalId).Select(s => s.Body!["text"]!["body"]!.GetValue<string>()).ToList();
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"mensaje {i:D2}"), texts);
    }

    [Fact]
    public async Task Limits_are_checked_before_anything_is_queued()
    {
        var (tenantId, _, conversation, _) = await WhatsAppConversationAsync();
        var response = await SendTextAsync(tenantId, conversation.Id, new string('a', 4097));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("4096", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }
}

public class LoopbackOutboundTests
{
    [Fact]
    public async Task In_loopback_mode_sends_are_recorded_without_calling_any_network()
    {
        await using var loopback = new NodeAppFactory(null, new Dictionary<string, string?> { ["Outbound:Mode"] = "Loopback", ["Meta:GraphBaseUrl"] = "http://127.0.0.1:9" });
        await loopback.InitializeAsync();
        var tenant = await loopback.TenantAsync();
        var channel = await loopback.ChannelAsync(tenant.Id);
        var conversation = await loopback.ConversationAsync(tenant.Id, "Demo", "hola", channel, "5215512340000");
        var client = loopback.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        var queued = await client.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/conversations/{conversation.Id}/messages", new { text = "¡Hola!" });
        var id = (await queued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var sent = await Eventually.GetAsync(async () =>
        {
            await using var work = loopback.Scopes.ForTenant(tenant.Id);
            return await work.Db.Messages.AsNoTracking().SingleAsync(m => m.Id == id);
        }, m => m.Status != DeliveryStatus.Queued, "loopback send");
        Assert.Equal(DeliveryStatus.Sent, sent.Status);
        Assert.StartsWith("loopback.", sent.ExternalId);
    }
}
