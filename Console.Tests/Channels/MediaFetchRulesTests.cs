using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Channels;

/// <summary>A local HTTP server standing for something the app must or may reach: records every request it gets.</summary>
public sealed class RecordingServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string Path, string? Authorization)> _requests = new();

    private RecordingServer(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = default!;
    public IReadOnlyCollection<(string Path, string? Authorization)> Requests => _requests.ToArray();

    public static async Task<RecordingServer> StartAsync(byte[] answer, string contentType)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new RecordingServer(app);
        app.Run(http =>
        {
            server._requests.Enqueue((http.Request.Path.Value ?? "", http.Request.Headers.Authorization.ToString() is { Length: > 0 } a ? a : null));
            http.Response.ContentType = contentType;
            return http.Response.Body.WriteAsync(answer).AsTask();
        });
        await app.StartAsync();
        server.BaseUrl = new Uri(app.Urls.First());
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// The app with live channel calls pointed at a fake Graph API, an "internal service" on loopback it must never reach,
/// and a "CDN" on loopback the platform allowlisted (Network:PrivateAllowlist), reachable as media host "localhost".
/// </summary>
public sealed class MediaRulesApp : IAsyncLifetime
{
    public const long MaxBytes = 64 * 1024;

    public FakeGraphApi Graph { get; private set; } = default!;
    public RecordingServer Internal { get; private set; } = default!;
    public RecordingServer Cdn { get; private set; } = default!;
    public NodeAppFactory App { get; private set; } = default!;

    public static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0, 1, 2, 3];

    public async Task InitializeAsync()
    {
        Graph = await FakeGraphApi.StartAsync();
        Internal = await RecordingServer.StartAsync("internal secret"u8.ToArray(), "text/plain");
        Cdn = await RecordingServer.StartAsync(Jpeg, "image/jpeg");
        App = new NodeAppFactory(null, new Dictionary<string, string?>
        {
            ["Outbound:Mode"] = "Live",
            ["Meta:GraphBaseUrl"] = Graph.BaseUrl.ToString().TrimEnd('/'),
            ["Meta:GraphVersion"] = "v23.0",
            // "localhost" passes the host rule here, so the address rule alone has to stop loopback.
            ["Meta:MediaHostSuffixes:0"] = "localhost",
            ["Network:PrivateAllowlist:0"] = $"localhost:{Cdn.BaseUrl.Port}",
            ["Media:MaxBytes"] = MaxBytes.ToString(),
        });
        await App.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Graph.DisposeAsync();
        await Internal.DisposeAsync();
        await Cdn.DisposeAsync();
    }
}

public class MediaFetchRulesTests(MediaRulesApp live) : IClassFixture<MediaRulesApp>
{
    private static string MessengerAttachment(string pageId, string psid, string mid, string type, string url) => JsonSerializer.Serialize(new
    {
        @object = "page",
        entry = new[] { new { id = pageId, time = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), messaging = new[] { new {
            sender = new { id = psid }, recipient = new { id = pageId }, timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            message = new { mid, attachments = new[] { new { type, payload = new { url } } } },
        } } } },
    });

    private static string WhatsAppImage(string phoneNumberId, string waId, string wamid, string mediaId) => JsonSerializer.Serialize(new
    {
        @object = "whatsapp_business_account",
        entry = new[] { new { id = "WABA", changes = new[] { new { field = "messages", value = new {
            messaging_product = "whatsapp",
            metadata = new { display_phone_number = "15550000000", phone_number_id = phoneNumberId },
            contacts = new[] { new { profile = new { name = "Foto" }, wa_id = waId } },
            messages = new[] { new { from = waId, id = wamid, timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(), type = "image",
                image = new { id = mediaId, mime_type = "image/jpeg", sha256 = "abc" } } },
        } } } } },
    });

    /// <summary>Posts a signed Messenger delivery with one attachment and waits until the fetcher has settled its media.</summary>
    private async Task<Message> DeliverAsync(string url, string type = "image")
    {
        var tenant = await live.App.TenantAsync();
        var page = await live.App.ChannelAsync(tenant.Id, ChannelKind.Messenger);
        var mid = "m_" + Guid.NewGuid().ToString("N");
        var response = await new WebhookClient(live.App.CreateClient()).PostMetaAsync("messenger",
            MessengerAttachment(page.ExternalId, "psid" + Random.Shared.Next(), mid, type, url));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await SettledAsync(tenant.Id, mid);
    }

    private async Task<Message> SettledAsync(Guid tenantId, string externalId) => (await Eventually.GetAsync(async () =>
    {
        await using var work = live.App.Scopes.ForTenant(tenantId);
        return await work.Db.Messages.AsNoTracking().SingleOrDefaultAsync(m => m.ExternalId == externalId);
    }, m => m?.MediaState is MediaState.Stored or MediaState.Refused or MediaState.Failed, "the media to be settled", TimeSpan.FromSeconds(30)))!;

    private static void AssertRefused(Message message, string reason)
    {
        Assert.Equal(MediaState.Refused, message.MediaState);
        Assert.Equal(reason, message.ErrorCode);
        Assert.Null(message.NextAttemptAt); // permanent: never retried
    }

    [Fact]
    public async Task An_attachment_on_a_loopback_address_is_refused_and_never_fetched()
    {
        var message = await DeliverAsync(new Uri(live.Internal.BaseUrl, "/admin/secret").AbsoluteUri);

        AssertRefused(message, "host");
        Assert.Empty(live.Internal.Requests);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/iam/security-credentials/")]
    [InlineData("http://10.20.30.40/internal")]
    [InlineData("file:///etc/passwd")]
    [InlineData("https://evilfbcdn.net/x.jpg")]
    public async Task An_attachment_outside_the_media_hosts_is_refused(string url)
    {
        var message = await DeliverAsync(url);

        Assert.Equal(MediaState.Refused, message.MediaState);
        Assert.Contains(message.ErrorCode, new[] { "host", "scheme" });
    }

    [Fact]
    public async Task A_media_host_that_resolves_to_loopback_is_refused_at_connect_time()
    {
        // "localhost" passes the host rule in this app; it resolves to 127.0.0.1, which the address rule refuses.
        var message = await DeliverAsync($"http://localhost:{live.Internal.BaseUrl.Port}/admin/secret");

        AssertRefused(message, "address");
        Assert.Empty(live.Internal.Requests);
    }

    [Fact]
    public async Task A_redirect_from_an_allowed_host_to_loopback_is_refused_and_not_followed()
    {
        var mediaId = Guid.NewGuid().ToString("N");
        live.Graph.RedirectMedia(mediaId, new Uri(live.Internal.BaseUrl, "/admin/secret").AbsoluteUri);

        var message = await DeliverAsync(live.Graph.MediaUrl(mediaId).AbsoluteUri);

        AssertRefused(message, "host");
        Assert.Contains(live.Graph.Requests, r => r.Path == $"/media-bytes/{mediaId}");
        Assert.Empty(live.Internal.Requests);
    }

    [Fact]
    public async Task A_redirect_to_a_media_host_on_loopback_is_refused_by_the_address_rule()
    {
        var mediaId = Guid.NewGuid().ToString("N");
        live.Graph.RedirectMedia(mediaId, $"http://localhost:{live.Internal.BaseUrl.Port}/admin/secret");

        var message = await DeliverAsync(live.Graph.MediaUrl(mediaId).AbsoluteUri);

        AssertRefused(message, "address");
        Assert.Empty(live.Internal.Requests);
    }

    [Fact]
    public async Task A_file_streamed_without_a_length_is_cut_off_at_the_size_cap()
    {
        var mediaId = Guid.NewGuid().ToString("N");
        var big = new byte[MediaRulesApp.MaxBytes * 3];
        MediaRulesApp.Jpeg.CopyTo(big, 0);
        live.Graph.AddMedia(mediaId, "image/jpeg", big, withoutLength: true);

        var message = await DeliverAsync(live.Graph.MediaUrl(mediaId).AbsoluteUri);

        AssertRefused(message, "size");
    }

    [Fact]
    public async Task Html_declared_as_a_jpeg_is_refused_by_its_bytes()
    {
        var mediaId = Guid.NewGuid().ToString("N");
        live.Graph.AddMedia(mediaId, "image/jpeg", "<html><script>document.title='pwned'</script></html>"u8.ToArray());

        var message = await DeliverAsync(live.Graph.MediaUrl(mediaId).AbsoluteUri);

        AssertRefused(message, "type");
    }

    [Fact]
    public async Task An_allowed_file_is_stored_with_the_type_its_bytes_prove()
    {
        var mediaId = Guid.NewGuid().ToString("N");
        // Served as octet-stream, declared as nothing: the bytes say JPEG.
        live.Graph.AddMedia(mediaId, "application/octet-stream", MediaRulesApp.Jpeg);

        var message = await DeliverAsync(live.Graph.MediaUrl(mediaId).AbsoluteUri);

        Assert.Equal((MediaState.Stored, "image/jpeg"), (message.MediaState, message.MediaContentType));
    }

    [Fact]
    public async Task WhatsApps_token_is_not_sent_along_a_redirect_to_another_host()
    {
        var tenant = await live.App.TenantAsync();
        var channel = await live.App.ChannelAsync(tenant.Id);
        var mediaId = Random.Shared.NextInt64(1_000_000_000, 9_999_999_999).ToString();
        live.Graph.AddMedia(mediaId, "image/jpeg", MediaRulesApp.Jpeg);
        var cdnPath = $"/cdn/{mediaId}.jpg";
        live.Graph.RedirectMedia(mediaId, $"http://localhost:{live.Cdn.BaseUrl.Port}{cdnPath}");
        var wamid = "wamid." + Guid.NewGuid().ToString("N");

        var response = await new WebhookClient(live.App.CreateClient()).PostMetaAsync("whatsapp", WhatsAppImage(channel.ExternalId, "5215512340000", wamid, mediaId));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var message = await SettledAsync(tenant.Id, wamid);

        Assert.Equal(MediaState.Stored, message.MediaState);
        Assert.StartsWith("Bearer ", live.Graph.Requests.Single(r => r.Path == $"/media-bytes/{mediaId}").Authorization);
        var cdn = Assert.Single(live.Cdn.Requests, r => r.Path == cdnPath);
        Assert.Null(cdn.Authorization);
    }
}
