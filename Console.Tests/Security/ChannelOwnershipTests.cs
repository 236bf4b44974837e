using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Infrastructure.Channels;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Security;

/// <summary>The app in Live mode with local Graph and TikTok fakes that answer the ownership reads on connect.</summary>
public sealed class OwnershipApp : IAsyncLifetime
{
    public FakeGraphApi Graph { get; private set; } = default!;
    public FakeTikTokApi TikTok { get; private set; } = default!;
    public NodeAppFactory App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Graph = await FakeGraphApi.StartAsync();
        TikTok = await FakeTikTokApi.StartAsync();
        App = new NodeAppFactory(null, new Dictionary<string, string?>
        {
            ["Outbound:Mode"] = "Live",
            ["Meta:GraphBaseUrl"] = Graph.BaseUrl.ToString().TrimEnd('/'),
            ["Meta:GraphVersion"] = "v23.0",
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

public class ChannelOwnershipTests(OwnershipApp fixture) : IClassFixture<OwnershipApp>
{
    private NodeAppFactory App => fixture.App;

    private HttpClient Platform()
    {
        var client = App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        return client;
    }

    private static string Wamid() => "wamid." + Guid.NewGuid().ToString("N");

    /// <summary>A customer writes to a number nobody has connected yet: the delivery waits as unroutable.</summary>
    private async Task<(string PhoneNumberId, string Wamid)> WaitingDeliveryAsync()
    {
        var phoneNumberId = ChannelData.NewExternalId();
        var wamid = Wamid();
        var response = await new WebhookClient(App.CreateClient()).PostMetaAsync("whatsapp",
            Deliveries.WhatsAppText(phoneNumberId, "5215512340000", wamid, "hola, quiero una cita", DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Eventually.TrueAsync(async () =>
        {
            await using var work = App.Scopes.ForSystem("test");
            return (await work.Db.WebhookDeliveries.AsNoTracking().Where(d => d.State == DeliveryState.Unroutable).ToListAsync())
                .Any(d => d.UnroutableIds.Contains(phoneNumberId));
        }, "the delivery kept as unroutable");
        return (phoneNumberId, wamid);
    }

    private async Task<bool> ChannelExistsAsync(ChannelKind kind, string externalId)
    {
        await using var work = App.Scopes.ForSystem("test");
        return await work.Db.Channels.AnyAsync(c => c.Kind == kind && c.ExternalId == externalId);
    }

    private async Task<bool> DeliveryStillWaitingAsync(string phoneNumberId)
    {
        await using var work = App.Scopes.ForSystem("test");
        return (await work.Db.WebhookDeliveries.AsNoTracking().Where(d => d.State == DeliveryState.Unroutable).ToListAsync())
            .Any(d => d.UnroutableIds.Contains(phoneNumberId));
    }

    [Fact]
    public async Task Connecting_a_number_the_token_cannot_read_is_refused_with_Metas_reason_and_nothing_is_saved_or_released()
    {
        var squatter = await App.TenantAsync();
        var (phoneNumberId, wamid) = await WaitingDeliveryAsync();
        // The squatter holds a real token, but for its own number only.
        var ownNumber = ChannelData.NewExternalId();
        fixture.Graph.GrantRead("EAAG-squatter", ownNumber);

        foreach (var token in new[] { "EAAG-squatter", "EAAG-made-up" })
        {
            var response = await Platform().PostAsJsonAsync($"/api/v1/tenants/{squatter.Id}/channels",
                new { kind = "whatsapp", externalId = phoneNumberId, accessToken = token });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(ChannelOwnershipException.ErrorCode, problem.GetProperty("code").GetString());
            Assert.Contains(token == "EAAG-squatter" ? "Unsupported get request" : "Invalid OAuth access token",
                problem.GetProperty("detail").GetString());
        }

        Assert.Contains(fixture.Graph.Requests, r => r.Method == "GET" && r.Path == $"/v23.0/{phoneNumberId}" && r.Authorization == "Bearer EAAG-squatter");
        Assert.False(await ChannelExistsAsync(ChannelKind.WhatsApp, phoneNumberId));
        Assert.True(await DeliveryStillWaitingAsync(phoneNumberId));
        await using var work = App.Scopes.ForTenant(squatter.Id);
        Assert.False(await work.Db.Messages.AnyAsync(m => m.ExternalId == wamid));
    }

    [Fact]
    public async Task Connecting_with_a_token_that_reads_the_number_saves_the_channel_and_releases_the_waiting_delivery()
    {
        var owner = await App.TenantAsync();
        var (phoneNumberId, wamid) = await WaitingDeliveryAsync();
        fixture.Graph.GrantRead("EAAG-owner", phoneNumberId);

        var response = await Platform().PostAsJsonAsync($"/api/v1/tenants/{owner.Id}/channels",
            new { kind = "whatsapp", externalId = phoneNumberId, accessToken = "EAAG-owner" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        Assert.True(await ChannelExistsAsync(ChannelKind.WhatsApp, phoneNumberId));
        var message = await Eventually.GetAsync(async () =>
        {
            await using var work = App.Scopes.ForTenant(owner.Id);
            return await work.Db.Messages.AsNoTracking().SingleOrDefaultAsync(m => m.ExternalId == wamid);
        }, m => m is not null, "the waiting message processed for the owner");
        Assert.Equal("hola, quiero una cita", message!.Body);
    }

    [Fact]
    public async Task A_TikTok_business_is_connected_only_with_a_token_that_reads_it()
    {
        var tenant = await App.TenantAsync();
        var businessId = "biz" + ChannelData.NewExternalId();
        fixture.TikTok.GrantRead("tt-other", "biz-other");

        var refused = await Platform().PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/channels",
            new { kind = "tiktok", externalId = businessId, accessToken = "tt-other" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains($"No permission to access business_id {businessId}",
            (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.False(await ChannelExistsAsync(ChannelKind.TikTok, businessId));

        fixture.TikTok.GrantRead("tt-owner", businessId);
        var created = await Platform().PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/channels",
            new { kind = "tiktok", externalId = businessId, accessToken = "tt-owner" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Contains(fixture.TikTok.Requests, r => r.Method == "GET" && r.Path == FakeTikTokApi.BusinessGetPath && r.AccessToken == "tt-owner");
        Assert.True(await ChannelExistsAsync(ChannelKind.TikTok, businessId));
    }

    [Fact]
    public async Task A_super_admin_releases_a_squatted_page_so_its_owner_can_connect_it_and_the_release_is_audited()
    {
        var squatter = await App.TenantAsync();
        var owner = await App.TenantAsync();
        var pageId = ChannelData.NewExternalId();
        // Squatted before ownership was checked (or through the seed path).
        var squatted = await App.ChannelAsync(squatter.Id, ChannelKind.Messenger, pageId);
        fixture.Graph.GrantRead("EAAG-page-owner", pageId);

        var blocked = await Platform().PostAsJsonAsync($"/api/v1/tenants/{owner.Id}/channels",
            new { kind = "messenger", externalId = pageId, accessToken = "EAAG-page-owner" });
        Assert.Equal(HttpStatusCode.Conflict, blocked.StatusCode);

        var superAdmin = Guid.NewGuid();
        var connections = App.Services.GetRequiredService<ChannelConnections>();
        Assert.Contains(await connections.ListForPlatformAsync(superAdmin, "root@platform.test"), c => c.Id == squatted.Id && c.TenantId == squatter.Id);
        await connections.ReleaseDisputedAsync(squatted.Id, superAdmin, "root@platform.test");

        var connected = await Platform().PostAsJsonAsync($"/api/v1/tenants/{owner.Id}/channels",
            new { kind = "messenger", externalId = pageId, accessToken = "EAAG-page-owner" });
        Assert.Equal(HttpStatusCode.Created, connected.StatusCode);

        await using var work = App.Scopes.ForSystem("test");
        var released = await work.Db.Channels.AsNoTracking().SingleAsync(c => c.Id == squatted.Id);
        Assert.Equal((ChannelStatus.Disconnected, squatter.Id), (released.Status, released.TenantId));
        Assert.NotEqual(pageId, released.ExternalId);
        Assert.True(await work.Db.AuditEntries.AnyAsync(a => a.Action == "channel.release_disputed" && a.TenantId == squatter.Id
            && a.ActorUserId == superAdmin && a.EntityId == squatted.Id.ToString()));
    }
}
