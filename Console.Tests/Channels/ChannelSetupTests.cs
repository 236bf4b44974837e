using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Channels;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Inbox;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Channels;

/// <summary>The app in Live mode against local Graph and TikTok fakes, with the platform's Meta app set up for Embedded Signup.</summary>
public sealed class ChannelSetupApp : IAsyncLifetime
{
    public const string AppId = "1234567890";
    public const string ConfigurationId = "cfg-987654";

    public FakeGraphApi Graph { get; private set; } = default!;
    public FakeTikTokApi TikTok { get; private set; } = default!;
    public NodeAppFactory App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Graph = await FakeGraphApi.StartAsync();
        TikTok = await FakeTikTokApi.StartAsync();
        Graph.UseApp(AppId, "test-meta-app-secret");
        App = new NodeAppFactory(null, new Dictionary<string, string?>
        {
            ["Outbound:Mode"] = "Live",
            ["Meta:GraphBaseUrl"] = Graph.BaseUrl.ToString().TrimEnd('/'),
            ["Meta:GraphVersion"] = "v23.0",
            ["Meta:AppId"] = AppId,
            ["Meta:ConfigurationId"] = ConfigurationId,
            ["TikTok:ApiBaseUrl"] = TikTok.BaseUrl.ToString().TrimEnd('/'),
        });
        await App.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Graph.DisposeAsync();
        await TikTok.DisposeAsync();
    }
}

public partial class ChannelSetupTests(ChannelSetupApp fixture) : IClassFixture<ChannelSetupApp>
{
    private NodeAppFactory App => fixture.App;
    private ChannelConnections Connections => App.Services.GetRequiredService<ChannelConnections>();
    private static readonly ChannelActor Owner = new(null, "owner@test");

    private async Task<Channel?> StoredAsync(Guid tenantId, Guid? id = null, string? externalId = null)
    {
        await using var work = App.Scopes.ForTenant(tenantId);
        return await work.Db.Channels.AsNoTracking().SingleOrDefaultAsync(c => (id == null || c.Id == id) && (externalId == null || c.ExternalId == externalId));
    }

    private async Task<List<AuditEntry>> AuditAsync(Guid tenantId, Guid channelId)
    {
        await using var work = App.Scopes.ForTenant(tenantId);
        var id = channelId.ToString();
        return await work.Db.AuditEntries.AsNoTracking().Where(a => a.EntityId == id).OrderBy(a => a.CreatedAt).ToListAsync();
    }

    [Fact]
    public async Task Connecting_each_kind_names_the_channel_as_the_provider_does()
    {
        var tenant = await App.TenantAsync();
        var (phone, page, ig, tiktok) = (ChannelData.NewExternalId(), ChannelData.NewExternalId(), ChannelData.NewExternalId(), ChannelData.NewExternalId());
        fixture.Graph.GrantRead("wa-token", phone);
        fixture.Graph.Describe(phone, new { display_phone_number = "+52 55 1234 5678", verified_name = "Tienda Sol" });
        fixture.Graph.GrantRead("page-token", page);
        fixture.Graph.Describe(page, new { name = "Tienda Sol Page" });
        fixture.Graph.GrantRead("ig-token", ig);
        fixture.Graph.Describe(ig, new { username = "tiendasol" });
        fixture.TikTok.GrantRead("tt-token", tiktok);

        var wa = await Connections.ConnectAsync(tenant.Id, new ConnectChannel(ChannelKind.WhatsApp, phone, "waba-1", null, "wa-token", null, null), "test");
        var fb = await Connections.ConnectAsync(tenant.Id, new ConnectChannel(ChannelKind.Messenger, page, null, null, "page-token", null, null), "test");
        var insta = await Connections.ConnectAsync(tenant.Id, new ConnectChannel(ChannelKind.Instagram, ig, null, null, "ig-token", null, null), "test");
        var tt = await Connections.ConnectAsync(tenant.Id, new ConnectChannel(ChannelKind.TikTok, tiktok, null, null, "tt-token", "tt-secret", null), "test");

        Assert.Equal(["Tienda Sol (+52 55 1234 5678)", "Tienda Sol Page", "@tiendasol", "Negocio " + tiktok],
            [wa.DisplayName, fb.DisplayName, insta.DisplayName, tt.DisplayName]);
        Assert.Contains(fixture.Graph.Requests, r => r.Path.EndsWith("/" + phone));
    }

    [Fact]
    public async Task A_wrong_token_is_refused_as_a_problem_a_person_can_act_on_and_nothing_is_stored()
    {
        var tenant = await App.TenantAsync();
        var phone = ChannelData.NewExternalId();
        var other = ChannelData.NewExternalId();
        fixture.Graph.GrantRead("token-for-another-number", other);

        var invalid = await Assert.ThrowsAsync<ChannelOwnershipException>(() => Connections.ConnectAsync(tenant.Id,
            new ConnectChannel(ChannelKind.WhatsApp, phone, null, null, "never-issued", null, null), "test"));
        var notFound = await Assert.ThrowsAsync<ChannelOwnershipException>(() => Connections.ConnectAsync(tenant.Id,
            new ConnectChannel(ChannelKind.WhatsApp, phone, null, null, "token-for-another-number", null, null), "test"));
        var tiktok = await Assert.ThrowsAsync<ChannelOwnershipException>(() => Connections.ConnectAsync(tenant.Id,
            new ConnectChannel(ChannelKind.TikTok, phone, null, null, "never-issued", null, null), "test"));

        Assert.Equal([OwnershipProblem.InvalidToken, OwnershipProblem.NotFound, OwnershipProblem.InvalidToken],
            [invalid.Problem, notFound.Problem, tiktok.Problem]);
        Assert.Null(await StoredAsync(tenant.Id, externalId: phone));
    }

    [Fact]
    public async Task A_new_token_is_verified_before_it_replaces_the_old_one_and_heals_a_channel_in_error()
    {
        var tenant = await App.TenantAsync();
        var phone = ChannelData.NewExternalId();
        fixture.Graph.GrantRead("old-token", phone);
        var channel = await Connections.ConnectAsync(tenant.Id, new ConnectChannel(ChannelKind.WhatsApp, phone, null, null, "old-token", null, null), "test");
        await using (var work = App.Scopes.ForTenant(tenant.Id))
        {
            (await work.Db.Channels.SingleAsync(c => c.Id == channel.Id)).MarkError("Access token expired or revoked (190): expired");
            await work.Db.SaveChangesAsync();
        }

        var refused = await Assert.ThrowsAsync<ChannelOwnershipException>(() =>
            Connections.RotateTokenAsync(tenant.Id, channel.Id, "mistyped-token", null, Owner));
        Assert.Equal(OwnershipProblem.InvalidToken, refused.Problem);
        var kept = (await StoredAsync(tenant.Id, channel.Id))!;
        Assert.Equal(("old-token", ChannelStatus.Error), (App.Services.GetRequiredService<SecretProtector>().Reveal(kept).AccessToken, kept.Status));

        fixture.Graph.GrantRead("new-token", phone);
        await Connections.RotateTokenAsync(tenant.Id, channel.Id, "new-token", null, Owner);
        var rotated = (await StoredAsync(tenant.Id, channel.Id))!;
        Assert.Equal(("new-token", ChannelStatus.Active), (App.Services.GetRequiredService<SecretProtector>().Reveal(rotated).AccessToken, rotated.Status));
        var audit = (await AuditAsync(tenant.Id, channel.Id)).Single(a => a.Action == "channel.rotate_token");
        Assert.Contains("Error → Active", audit.Details);
        Assert.DoesNotContain("new-token", audit.Details);
        Assert.Equal("owner@test", audit.Actor);
    }

    [Fact]
    public async Task A_disconnected_channel_keeps_its_conversations_refuses_sends_and_leaves_its_webhooks_unroutable()
    {
        var tenant = await App.TenantAsync();
        var phone = ChannelData.NewExternalId();
        var channel = await App.ChannelAsync(tenant.Id, ChannelKind.WhatsApp, phone);
        var conversation = await App.ConversationAsync(tenant.Id, "Ana", "hola", channel, customerId: "5215512340000");

        await Connections.DisconnectAsync(tenant.Id, channel.Id, Owner);

        using var api = App.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        var send = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/conversations/{conversation.Id}/messages", new { text = "¿sigues ahí?" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, send.StatusCode);
        Assert.Contains("channel.inactive", await send.Content.ReadAsStringAsync());

        var wamid = "wamid." + Guid.NewGuid().ToString("N");
        var delivered = await new WebhookClient(App.CreateClient()).PostMetaAsync("whatsapp",
            Deliveries.WhatsAppText(phone, "5215512340000", wamid, "¿hola?", DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        await Eventually.TrueAsync(async () =>
        {
            await using var work = App.Scopes.ForSystem("test");
            return (await work.Db.WebhookDeliveries.AsNoTracking().Where(d => d.State == DeliveryState.Unroutable).ToListAsync())
                .Any(d => d.UnroutableIds.Contains(phone));
        }, "the delivery kept as unroutable");

        await using var read = App.Scopes.ForTenant(tenant.Id);
        Assert.True(await read.Db.Conversations.AnyAsync(c => c.Id == conversation.Id));
        Assert.False(await read.Db.Messages.AnyAsync(m => m.ExternalId == wamid));
        var stored = await read.Db.Channels.AsNoTracking().SingleAsync(c => c.Id == channel.Id);
        Assert.Equal((ChannelStatus.Disconnected, false), (stored.Status, stored.BotEnabled));
        Assert.Contains(phone, (await AuditAsync(tenant.Id, channel.Id)).Single(a => a.Action == "channel.disconnect").Details);
    }

    [Fact]
    public async Task A_disabled_channel_holds_its_messages_until_it_is_enabled_again()
    {
        var tenant = await App.TenantAsync();
        var phone = ChannelData.NewExternalId();
        var channel = await App.ChannelAsync(tenant.Id, ChannelKind.WhatsApp, phone);
        await Connections.SetEnabledAsync(tenant.Id, channel.Id, false, Owner);

        var wamid = "wamid." + Guid.NewGuid().ToString("N");
        await new WebhookClient(App.CreateClient()).PostMetaAsync("whatsapp",
            Deliveries.WhatsAppText(phone, "5215512349999", wamid, "quiero una cita", DateTimeOffset.UtcNow));
        await Eventually.TrueAsync(async () =>
        {
            await using var work = App.Scopes.ForSystem("test");
            return (await work.Db.WebhookDeliveries.AsNoTracking().Where(d => d.State == DeliveryState.Unroutable).ToListAsync())
                .Any(d => d.UnroutableIds.Contains(phone));
        }, "the delivery held while the channel is disabled");

        await Connections.SetEnabledAsync(tenant.Id, channel.Id, true, Owner);
        await Eventually.TrueAsync(async () =>
        {
            await using var work = App.Scopes.ForTenant(tenant.Id);
            return await work.Db.Messages.AnyAsync(m => m.ExternalId == wamid);
        }, "the held message in the inbox once enabled");
        var actions = (await AuditAsync(tenant.Id, channel.Id)).Select(a => a.Action).ToList();
        Assert.Equal(["channel.connect", "channel.disable", "channel.enable"], actions);
    }

    // ---- Embedded Signup's server endpoint ----

    private sealed record Session(HttpClient Http, string? Antiforgery);

    private async Task<Session> SignInAsync(string email, string password, string page = "/channels")
    {
        var http = App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = true, HandleCookies = true });
        var login = await new FormClient(http).LoginAsync(email, password);
        Assert.True(login.IsSuccessStatusCode, $"login: {login.StatusCode}");
        var response = await http.GetAsync(page);
        var html = await response.Content.ReadAsStringAsync();
        var token = AntiforgeryField().Match(html);
        return new Session(http, token.Success ? WebUtility.HtmlDecode(token.Groups[1].Value) : null);
    }

    private static Task<HttpResponseMessage> PostSignupAsync(HttpClient http, Guid tenantId, string? antiforgery, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/channels/embedded-signup/{tenantId}") { Content = JsonContent.Create(body) };
        if (antiforgery is not null) request.Headers.Add("RequestVerificationToken", antiforgery);
        return http.SendAsync(request);
    }

    [Fact]
    public async Task Embedded_signup_exchanges_the_code_subscribes_the_waba_and_connects_the_number()
    {
        var tenant = await App.TenantAsync(password: "Owner!Signup1");
        var (phone, waba, code) = (ChannelData.NewExternalId(), ChannelData.NewExternalId(), "code-" + Guid.NewGuid().ToString("N"));
        var businessToken = "EAAB-business-" + Guid.NewGuid().ToString("N");
        fixture.Graph.IssueCode(code, businessToken);
        fixture.Graph.GrantRead(businessToken, phone, waba);
        fixture.Graph.Describe(phone, new { display_phone_number = "+57 300 555 0101", verified_name = "Café Andino" });

        var owner = await SignInAsync($"{tenant.Slug}@owner.test", "Owner!Signup1");
        Assert.NotNull(owner.Antiforgery); // the page offers Embedded Signup (configured) and carries its token
        var channelsPage = await owner.Http.GetAsync("/channels");
        Assert.Contains("data-testid=\"embedded-signup\"", await channelsPage.Content.ReadAsStringAsync());
        // Meta's SDK and its facebook.com frames are allowed on this page only.
        var policy = string.Join(" ", channelsPage.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self' 'nonce-", policy);
        Assert.Contains(" https://connect.facebook.net;", policy);
        Assert.Contains("frame-src https://www.facebook.com", policy);
        var elsewhere = await owner.Http.GetAsync("/leads");
        Assert.DoesNotContain("facebook", string.Join(" ", elsewhere.Headers.GetValues("Content-Security-Policy")));

        var response = await PostSignupAsync(owner.Http, tenant.Id, owner.Antiforgery, new { code, phoneNumberId = phone, wabaId = waba });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Café Andino (+57 300 555 0101)", answer.GetProperty("displayName").GetString());

        var subscription = Assert.Single(fixture.Graph.Subscriptions, s => s.Path.Contains($"/{waba}/"));
        Assert.Equal($"Bearer {businessToken}", subscription.Authorization);
        Assert.Contains(fixture.Graph.Requests, r => r.Path.EndsWith("/oauth/access_token"));
        var channel = (await StoredAsync(tenant.Id, externalId: phone))!;
        Assert.Equal((waba, businessToken), (channel.AccountId, App.Services.GetRequiredService<SecretProtector>().Reveal(channel).AccessToken));

        // A code works once: replaying the same request connects nothing more.
        var replay = await PostSignupAsync(owner.Http, tenant.Id, owner.Antiforgery, new { code, phoneNumberId = phone, wabaId = waba });
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
    }

    [Fact]
    public async Task Embedded_signup_refuses_no_session_a_forged_request_another_workspace_and_agents()
    {
        var tenant = await App.TenantAsync(password: "Owner!Signup2");
        var otherTenant = await App.TenantAsync();
        var body = new { code = "code-x", phoneNumberId = ChannelData.NewExternalId(), wabaId = "waba-x" };

        using var anonymous = App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostSignupAsync(anonymous, tenant.Id, null, body)).StatusCode);

        var owner = await SignInAsync($"{tenant.Slug}@owner.test", "Owner!Signup2");
        Assert.Equal(HttpStatusCode.BadRequest, (await PostSignupAsync(owner.Http, tenant.Id, null, body)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostSignupAsync(owner.Http, otherTenant.Id, owner.Antiforgery, body)).StatusCode);

        var agent = await App.MemberAsync(tenant.Id, "Rita", TenantRole.Agent, "Agent!Signup3");
        var agentEmail = await App.EmailOfAsync(tenant.Id, agent.MemberId!.Value);
        var agentSession = await SignInAsync(agentEmail, "Agent!Signup3", page: "/inbox");
        Assert.Equal(HttpStatusCode.Forbidden, (await agentSession.Http.GetAsync("/channels")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostSignupAsync(agentSession.Http, tenant.Id, agentSession.Antiforgery, body)).StatusCode);

        await using var work = App.Scopes.ForSystem("test");
        Assert.False(await work.Db.Channels.AnyAsync(c => c.ExternalId == body.phoneNumberId));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
