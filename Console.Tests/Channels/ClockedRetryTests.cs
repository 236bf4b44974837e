using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Channels;

/// <summary>A live-channel app on a fake clock, talking to a fake Graph API.</summary>
public sealed class ClockedLiveApp : IAsyncLifetime
{
    public FakeGraphApi Graph { get; private set; } = default!;
    public FakeClockAppFactory App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Graph = await FakeGraphApi.StartAsync();
        App = new FakeClockAppFactory(new Dictionary<string, string?>
        {
            ["Outbound:Mode"] = "Live",
            ["Meta:GraphBaseUrl"] = Graph.BaseUrl.ToString().TrimEnd('/'),
            ["Meta:GraphVersion"] = "v23.0",
            // No agent replies: the only sends are the tests' own, so a scripted Graph failure hits the message meant.
            ["Agent:Workers"] = "0",
        });
        await App.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Graph.DisposeAsync();
    }
}

/// <summary>
/// Retry schedules and expiries read the app's TimeProvider: with the clock frozen, each next attempt is exactly "now +
/// the backoff", and nothing is retried until the test moves the clock past it.
/// </summary>
public class ClockedRetryTests(ClockedLiveApp live) : IClassFixture<ClockedLiveApp>
{
    private FakeClockAppFactory App => live.App;

    private static string WhatsAppImage(string phoneNumberId, string waId, string wamid, string mediaId, DateTimeOffset at) => JsonSerializer.Serialize(new
    {
        @object = "whatsapp_business_account",
        entry = new[] { new { id = "WABA", changes = new[] { new { field = "messages", value = new {
            messaging_product = "whatsapp",
            metadata = new { display_phone_number = "15550000000", phone_number_id = phoneNumberId },
            contacts = new[] { new { profile = new { name = "Foto" }, wa_id = waId } },
            messages = new[] { new { from = waId, id = wamid, timestamp = at.ToUnixTimeSeconds().ToString(), type = "image",
                image = new { id = mediaId, mime_type = "image/jpeg", sha256 = "abc" } } },
        } } } } },
    });

    private Task<Message?> MessageAsync(Guid tenantId, Func<Message?, bool> until, string what, Func<IQueryable<Message>, IQueryable<Message>> find) =>
        Eventually.GetAsync(async () =>
        {
            await using var work = App.Scopes.ForTenant(tenantId);
            return await find(work.Db.Messages.AsNoTracking()).SingleOrDefaultAsync();
        }, until, what, TimeSpan.FromSeconds(30));

    [Fact]
    public async Task A_failed_media_fetch_is_retried_exactly_4_then_16_seconds_later_by_the_clock()
    {
        var tenant = await App.TenantAsync();
        var channel = await App.ChannelAsync(tenant.Id);
        var mediaId = Random.Shared.NextInt64(1_000_000_000, 9_999_999_999).ToString(); // Graph does not know it yet: the fetch fails
        var wamid = "wamid." + Guid.NewGuid().ToString("N");
        var start = App.Clock.GetUtcNow();
        var response = await new WebhookClient(App.CreateClient()).PostMetaAsync("whatsapp",
            WhatsAppImage(channel.ExternalId, "5215512348888", wamid, mediaId, start));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var first = (await MessageAsync(tenant.Id, m => m?.Attempts >= 1, "the first attempt", q => q.Where(m => m.ExternalId == wamid)))!;
        Assert.Equal((MediaState.Pending, 1, start + TimeSpan.FromSeconds(4)), (first.MediaState, first.Attempts, first.NextAttemptAt));

        App.Clock.Advance(TimeSpan.FromSeconds(4));
        var second = (await MessageAsync(tenant.Id, m => m?.Attempts >= 2, "the second attempt", q => q.Where(m => m.ExternalId == wamid)))!;
        Assert.Equal((MediaState.Pending, 2, start + TimeSpan.FromSeconds(4 + 16)), (second.MediaState, second.Attempts, second.NextAttemptAt));

        live.Graph.AddMedia(mediaId, "image/jpeg", [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);
        App.Clock.Advance(TimeSpan.FromSeconds(16));
        var stored = (await MessageAsync(tenant.Id, m => m?.MediaState == MediaState.Stored, "the third attempt to store it",
            q => q.Where(m => m.ExternalId == wamid)))!;
        Assert.Equal((2, null), (stored.Attempts, stored.NextAttemptAt)); // attempts counts the failures
    }

    [Fact]
    public async Task A_throttled_send_is_retried_about_2_seconds_later_by_the_clock_and_then_sent()
    {
        var tenant = await App.TenantAsync();
        var channel = await App.ChannelAsync(tenant.Id);
        var conversation = await App.ConversationAsync(tenant.Id, "Cliente", "hola", channel, "52155" + Random.Shared.Next(10000000, 99999999),
            App.Clock.GetUtcNow().AddMinutes(-5));
        live.Graph.FailNext(new GraphError(130429, 400, "(#130429) Rate limit hit"));
        var api = App.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        var start = App.Clock.GetUtcNow();
        var queued = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/conversations/{conversation.Id}/messages", new { text = "reintento" });
        Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
        var id = (await queued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        var waiting = (await MessageAsync(tenant.Id, m => m?.Attempts >= 1, "the first send attempt", q => q.Where(m => m.Id == id)))!;
        Assert.Equal((DeliveryStatus.Queued, "130429"), (waiting.Status, waiting.ErrorCode));
        // 2 s ± 25 % jitter after the frozen "now" of the failed attempt.
        Assert.InRange(waiting.NextAttemptAt!.Value, start + TimeSpan.FromSeconds(1.5), start + TimeSpan.FromSeconds(2.5));

        App.Clock.Advance(TimeSpan.FromSeconds(2.5));
        var sent = (await MessageAsync(tenant.Id, m => m?.Status != DeliveryStatus.Queued, "the retry", q => q.Where(m => m.Id == id)))!;
        Assert.Equal((DeliveryStatus.Sent, 2), (sent.Status, sent.Attempts));
    }

    [Fact]
    public async Task The_language_cookie_lasts_a_year_from_the_apps_clock()
    {
        var client = App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var response = await client.GetAsync("/Culture/Set?culture=en&returnUrl=/");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookie = SetCookieHeaderValue.ParseList(response.Headers.GetValues(HeaderNames.SetCookie).ToList())
            .Single(c => c.Name == ".AspNetCore.Culture");
        Assert.Equal(App.Clock.GetUtcNow().AddYears(1), cookie.Expires);
    }
}
