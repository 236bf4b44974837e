using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Channels;

public class WebhookIngestTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private WebhookClient Hooks => new(app.CreateClient());

    private static string Wamid() => "wamid." + Guid.NewGuid().ToString("N");

    private async Task<(Guid TenantId, Channel Channel)> WhatsAppTenantAsync()
    {
        var tenant = await app.TenantAsync();
        return (tenant.Id, await app.ChannelAsync(tenant.Id));
    }

    private Task<Message> MessageAsync(Guid tenantId, string externalId) => Eventually.GetAsync(async () =>
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return await work.Db.Messages.AsNoTracking().SingleOrDefaultAsync(m => m.ExternalId == externalId);
    }, m => m is not null, $"message {externalId}")!;

    private async Task<int> CountAsync(Guid tenantId, Func<IQueryable<Message>, IQueryable<Message>> filter)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return await filter(work.Db.Messages).CountAsync();
    }

    private async Task<int> StoredDeliveriesAsync(string containing)
    {
        await using var work = app.Scopes.ForSystem("test");
        var bodies = await work.Db.WebhookDeliveries.AsNoTracking().Select(d => d.Body).ToListAsync();
        return bodies.Count(b => Encoding.UTF8.GetString(b).Contains(containing));
    }

    [Fact]
    public async Task Handshake_echoes_the_challenge_only_for_the_right_token()
    {
        var http = app.CreateClient();
        var ok = await http.GetAsync("/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=test-meta-verify-token");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("1158201444", await ok.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", ok.Content.Headers.ContentType?.MediaType);

        var bad = await http.GetAsync("/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=nope");
        Assert.Equal(HttpStatusCode.Forbidden, bad.StatusCode);
        Assert.DoesNotContain("1158201444", await bad.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("/webhooks/whatsapp?hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=test-meta-verify-token")).StatusCode);
    }

    [Fact]
    public async Task Tenant_endpoint_handshake_uses_the_channels_own_verify_token()
    {
        var tenant = await app.TenantAsync();
        await app.ChannelAsync(tenant.Id, ChannelKind.Messenger, verifyToken: "mi-token-propio");
        var http = app.CreateClient();
        var ok = await http.GetAsync($"/webhooks/messenger/{tenant.Slug}?hub.mode=subscribe&hub.challenge=42&hub.verify_token=mi-token-propio");
        Assert.Equal("42", await ok.Content.ReadAsStringAsync());
        var platformToken = await http.GetAsync($"/webhooks/messenger/{tenant.Slug}?hub.mode=subscribe&hub.challenge=42&hub.verify_token=test-meta-verify-token");
        Assert.Equal(HttpStatusCode.Forbidden, platformToken.StatusCode);
    }

    [Fact]
    public async Task A_text_message_creates_contact_conversation_and_message_with_the_window_from_the_channel_timestamp()
    {
        var (tenantId, channel) = await WhatsAppTenantAsync();
        var wamid = Wamid();
        var sentAt = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeSeconds()); // the wire has whole seconds
        var response = await Hooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(channel.ExternalId, "5215512345678", wamid, "hola, ¿precio?", sentAt, "Ana López"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var message = await MessageAsync(tenantId, wamid);
        Assert.Equal(("hola, ¿precio?", MessageDirection.Inbound, MessageSender.Contact), (message.Body, message.Direction, message.Sender));
        await using var work = app.Scopes.ForTenant(tenantId);
        var conversation = await work.Db.Conversations.SingleAsync(c => c.Id == message.ConversationId);
        var contact = await work.Db.Contacts.Include(c => c.Identities).SingleAsync(c => c.Id == conversation.ContactId);
        Assert.Equal(("Ana López", "+525512345678", 50, LeadTemperature.Warm), (contact.Name, contact.PhoneE164, contact.Score, contact.Temperature));
        Assert.Contains(contact.Identities, i => i.Kind == IdentityKind.WaId && i.Value == "5215512345678");
        // The 24 h window runs from when the customer wrote, not from when the delivery arrived.
        Assert.Equal(sentAt.AddHours(24), conversation.CustomerWindowExpiresAt);
        Assert.Equal(1, conversation.UnreadCount);
        Assert.NotNull(conversation.AgentDueAt);
    }

    [Fact]
    public async Task A_second_message_reuses_the_open_conversation()
    {
        var (tenantId, channel) = await WhatsAppTenantAsync();
        var (first, second) = (Wamid(), Wamid());
        await Hooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(channel.ExternalId, "5215599990000", first, "uno", DateTimeOffset.UtcNow));
        await Hooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppText(channel.ExternalId, "5215599990000", second, "dos", DateTimeOffset.UtcNow));
        var (a, b) = (await MessageAsync(tenantId, first), await MessageAsync(tenantId, second));
        Assert.Equal(a.ConversationId, b.ConversationId);
    }

    [Fact]
    public async Task Twenty_parallel_duplicate_deliveries_store_one_message()
    {
        var (tenantId, channel) = await WhatsAppTenantAsync();
        var wamid = Wamid();
        var body = Deliveries.WhatsAppText(channel.ExternalId, "5215512340001", wamid, "duplicado", DateTimeOffset.UtcNow);
        // Ten byte-identical retries, and ten that differ only in the envelope (same wamid): all must store one message.
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            Hooks.PostMetaAsync("whatsapp", i % 2 == 0 ? body : body.Replace("\"id\":\"WABA\"", $"\"id\":\"WABA{i}\""))));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        await MessageAsync(tenantId, wamid);
        await Eventually.TrueAsync(async () =>
        {
            await using var work = app.Scopes.ForSystem("test");
            return !await work.Db.WebhookDeliveries.AnyAsync(d => d.State == DeliveryState.Pending);
        }, "all deliveries processed");
        Assert.Equal(1, await CountAsync(tenantId, q => q.Where(m => m.ExternalId == wamid)));
        Assert.Equal(11, await StoredDeliveriesAsync(wamid)); // identical bytes are stored once
    }

    [Fact]
    public async Task Bad_or_missing_signature_is_401_and_nothing_is_stored()
    {
        var (_, channel) = await WhatsAppTenantAsync();
        var wamid = Wamid();
        var body = Deliveries.WhatsAppText(channel.ExternalId, "5215512340002", wamid, "falso", DateTimeOffset.UtcNow);
        var forged = await Hooks.PostMetaAsync("whatsapp", body, secret: "not-the-app-secret");
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        var unsigned = await app.CreateClient().PostAsync("/webhooks/whatsapp", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal(0, await StoredDeliveriesAsync(wamid));
    }

    [Fact]
    public async Task Oversized_body_is_413()
    {
        var huge = new byte[5 * 1024 * 1024 + 1];
        Array.Fill(huge, (byte)' ');
        var response = await Hooks.PostMetaBytesAsync("whatsapp", huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Signed_but_malformed_body_is_400_and_kept_for_replay()
    {
        var marker = Guid.NewGuid().ToString("N");
        var response = await Hooks.PostMetaAsync("whatsapp", $$"""{"object":"whatsapp_business_account","entry":[{"changes":[ "{{marker}}" """);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await using var work = app.Scopes.ForSystem("test");
        var kept = (await work.Db.WebhookDeliveries.AsNoTracking().ToListAsync()).Single(d => Encoding.UTF8.GetString(d.Body).Contains(marker));
        Assert.Equal(DeliveryState.Failed, kept.State);
        Assert.False(string.IsNullOrEmpty(kept.LastError));
    }

    [Fact]
    public async Task A_batch_for_two_tenants_and_an_unknown_number_is_split_and_the_unknown_part_waits_for_its_channel()
    {
        var (tenantA, channelA) = await WhatsAppTenantAsync();
        var (tenantB, channelB) = await WhatsAppTenantAsync();
        var unknownNumber = ChannelData.NewExternalId();
        var (a, b, u) = (Wamid(), Wamid(), Wamid());
        var now = DateTimeOffset.UtcNow;
        var response = await Hooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppBatch(
            (channelA.ExternalId, "5215511110001", a, "para A", now, "Ana"),
            (channelB.ExternalId, "5215511110002", b, "para B", now, "Beto"),
            (unknownNumber, "5215511110003", u, "para nadie", now, "Ceci")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await MessageAsync(tenantA, a);
        await MessageAsync(tenantB, b);
        Assert.Equal(0, await CountAsync(tenantA, q => q.Where(m => m.ExternalId == b))); // nothing crosses tenants
        await Eventually.TrueAsync(async () =>
        {
            await using var work = app.Scopes.ForSystem("test");
            return await work.Db.SystemEvents.AnyAsync(e => e.Severity == Severity.Warning && e.Message.Contains(unknownNumber));
        }, "an unroutable warning for the command center");

        // Later a third tenant connects that number: the waiting message is processed for it.
        var tenantC = await app.TenantAsync();
        await app.ChannelAsync(tenantC.Id, externalId: unknownNumber);
        var late = await MessageAsync(tenantC.Id, u);
        Assert.Equal("para nadie", late.Body);
        Assert.Equal(1, await CountAsync(tenantA, q => q.Where(m => m.ExternalId == a)));
    }

    [Fact]
    public async Task Statuses_arriving_out_of_order_never_move_backwards_and_failures_keep_their_reason()
    {
        var tenantId = (await app.TenantAsync()).Id;
        var conversation = await app.ConversationAsync(tenantId, "Estado", "hola");
        var (readOne, failedOne) = (Wamid(), Wamid());
        await using (var work = app.Scopes.ForTenant(tenantId))
        {
            var c = await work.Db.Conversations.SingleAsync(x => x.Id == conversation.Id);
            foreach (var id in new[] { readOne, failedOne })
            {
                var m = Message.Outbound(c, MessageSender.Bot, null, MessageType.Text, "respuesta", null, DateTimeOffset.UtcNow);
                m.MarkSent(id);
                work.Db.Messages.Add(m);
            }
            await work.Db.SaveChangesAsync();
        }
        var phoneNumberId = (await GetChannelAsync(tenantId, conversation.ChannelId)).ExternalId;
        var t = DateTimeOffset.UtcNow;
        foreach (var status in new[] { "read", "delivered", "sent" })
            Assert.Equal(HttpStatusCode.OK, (await Hooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppStatus(phoneNumberId, readOne, status, t))).StatusCode);
        await Hooks.PostMetaAsync("whatsapp", Deliveries.WhatsAppStatus(phoneNumberId, failedOne, "failed", t, 131026));

        await Eventually.TrueAsync(async () => (await MessageAsync(tenantId, failedOne)).Status == DeliveryStatus.Failed, "failed status applied");
        await Eventually.TrueAsync(async () =>
        {
            await using var work = app.Scopes.ForSystem("test");
            return !await work.Db.WebhookDeliveries.AnyAsync(d => d.State == DeliveryState.Pending);
        }, "all statuses processed");
        Assert.Equal(DeliveryStatus.Read, (await MessageAsync(tenantId, readOne)).Status);
        var failed = await MessageAsync(tenantId, failedOne);
        Assert.Equal("131026", failed.ErrorCode);
        Assert.Contains("undeliverable", failed.ErrorText, StringComparison.OrdinalIgnoreCase);
    }

    private async Task<Channel> GetChannelAsync(Guid tenantId, Guid channelId)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return await work.Db.Channels.AsNoTracking().SingleAsync(c => c.Id == channelId);
    }

    [Fact]
    public async Task An_echo_the_system_did_not_send_hands_the_conversation_to_a_human()
    {
        var tenant = await app.TenantAsync();
        var page = await app.ChannelAsync(tenant.Id, ChannelKind.Messenger);
        var psid = ChannelData.NewExternalId();
        var customerMid = "m_" + Guid.NewGuid().ToString("N");
        await Hooks.PostMetaAsync("messenger", Deliveries.MessengerText(page.ExternalId, psid, customerMid, "¿abren hoy?", DateTimeOffset.UtcNow));
        var inbound = await MessageAsync(tenant.Id, customerMid);

        var echoMid = "m_" + Guid.NewGuid().ToString("N");
        await Hooks.PostMetaAsync("messenger", Deliveries.MessengerEcho(page.ExternalId, psid, echoMid, "Sí, hasta las 8", DateTimeOffset.UtcNow));
        var echo = await MessageAsync(tenant.Id, echoMid);
        Assert.Equal((MessageDirection.Outbound, MessageSender.Agent), (echo.Direction, echo.Sender));
        await using var work = app.Scopes.ForTenant(tenant.Id);
        var conversation = await work.Db.Conversations.SingleAsync(c => c.Id == inbound.ConversationId);
        Assert.Equal((ConversationOwner.Human, HandoffReason.HumanReplied), (conversation.Owner, conversation.HandoffReason));
        Assert.Null(conversation.AgentDueAt); // the pending bot turn is cancelled
        Assert.True(await work.Db.ConversationEvents.AnyAsync(e => e.ConversationId == conversation.Id && e.Type == ConversationEventType.BotPaused));
    }

    [Fact]
    public async Task A_tenant_endpoint_accepts_its_own_secret_and_cannot_write_into_another_tenants_number()
    {
        var tenant = await app.TenantAsync();
        var own = await app.ChannelAsync(tenant.Id, appSecret: "secreto-del-negocio");
        var (otherTenant, otherChannel) = await WhatsAppTenantAsync();
        var (mine, theirs) = (Wamid(), Wamid());
        var now = DateTimeOffset.UtcNow;

        Assert.Equal(HttpStatusCode.Unauthorized, (await Hooks.PostMetaAsync("whatsapp",
            Deliveries.WhatsAppText(own.ExternalId, "5215500000001", mine, "x", now), tenant.Slug)).StatusCode); // platform secret is not theirs
        Assert.Equal(HttpStatusCode.OK, (await Hooks.PostMetaAsync("whatsapp",
            Deliveries.WhatsAppText(own.ExternalId, "5215500000001", mine, "mío", now), tenant.Slug, "secreto-del-negocio")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Hooks.PostMetaAsync("whatsapp",
            Deliveries.WhatsAppText(otherChannel.ExternalId, "5215500000002", theirs, "intruso", now), tenant.Slug, "secreto-del-negocio")).StatusCode);

        await MessageAsync(tenant.Id, mine);
        await Eventually.TrueAsync(async () =>
        {
            await using var work = app.Scopes.ForSystem("test");
            return (await work.Db.WebhookDeliveries.AsNoTracking().Where(d => d.State == DeliveryState.Unroutable).ToListAsync())
                .Any(d => d.UnroutableIds.Contains(otherChannel.ExternalId));
        }, "the foreign number refused as unroutable");
        Assert.Equal(0, await CountAsync(otherTenant, q => q.Where(m => m.ExternalId == theirs)));
    }

    [Fact]
    public async Task A_TikTok_message_is_accepted_with_the_platform_secret_and_remembers_the_conversation_id()
    {
        var tenant = await app.TenantAsync();
        var business = await app.ChannelAsync(tenant.Id, ChannelKind.TikTok);
        var messageId = "tt-" + Guid.NewGuid().ToString("N");
        var response = await Hooks.PostTikTokAsync(Deliveries.TikTokText(business.ExternalId, "user-77", messageId, "conv-9", "Hola desde TikTok", DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var message = await MessageAsync(tenant.Id, messageId);
        await using var work = app.Scopes.ForTenant(tenant.Id);
        Assert.Equal("conv-9", (await work.Db.Conversations.SingleAsync(c => c.Id == message.ConversationId)).ExternalThreadId);

        var stale = await Hooks.PostTikTokAsync(Deliveries.TikTokText(business.ExternalId, "user-77", "tt-old", "conv-9", "viejo", DateTimeOffset.UtcNow), DateTimeOffset.UtcNow.AddMinutes(-10));
        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
    }
}

/// <summary>A node acknowledges a delivery and dies before processing it; the next node to start processes it.</summary>
public class CrashRecoveryTests : IAsyncLifetime
{
    private readonly NodeAppFactory _crashed = new(null, new Dictionary<string, string?> { ["Webhooks:Workers"] = "0" });

    public Task InitializeAsync() => _crashed.InitializeAsync();

    public async Task DisposeAsync() => await _crashed.DisposeAsync();

    [Fact]
    public async Task A_delivery_acknowledged_before_a_crash_is_processed_on_the_next_start()
    {
        // Workers=0 stands for a process killed between storing the delivery and processing it.
        var tenant = await _crashed.TenantAsync();
        var channel = await _crashed.ChannelAsync(tenant.Id);
        var wamid = "wamid." + Guid.NewGuid().ToString("N");
        var response = await new WebhookClient(_crashed.CreateClient()).PostMetaAsync("whatsapp",
            Deliveries.WhatsAppText(channel.ExternalId, "5215512349999", wamid, "¿siguen ahí?", DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using (var work = _crashed.Scopes.ForSystem("test"))
            Assert.Equal(DeliveryState.Pending, (await work.Db.WebhookDeliveries.SingleAsync()).State);

        await using var restarted = new NodeAppFactory(_crashed.Database);
        await restarted.InitializeAsync();
        await Eventually.TrueAsync(async () =>
        {
            await using var work = restarted.Scopes.ForTenant(tenant.Id);
            return await work.Db.Messages.AnyAsync(m => m.ExternalId == wamid);
        }, "the pending delivery processed after restart");
    }
}
