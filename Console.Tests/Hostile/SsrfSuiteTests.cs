using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Agent.Tools;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Webhooks;
using OperatorConsole.Tests.Agent;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Hostile;

/// <summary>
/// An app whose allowlist admits one loopback server (standing for a public host the tenant configured, which redirects
/// wherever it is told) and an internal server nobody allowlisted (standing for what lives inside the network).
/// </summary>
public sealed class SsrfApp : IAsyncLifetime
{
    public ToolServer Internal { get; private set; } = default!;
    public ToolServer Redirector { get; private set; } = default!;
    public NodeAppFactory App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Internal = await ToolServer.StartAsync();
        Redirector = await ToolServer.StartAsync();
        App = new NodeAppFactory(null, new Dictionary<string, string?>
        {
            ["Network:PrivateAllowlist:0"] = $"127.0.0.1:{Redirector.Port}",
            ["Agent:Workers"] = "0",
        });
        await App.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Internal.DisposeAsync();
        await Redirector.DisposeAsync();
    }
}

/// <summary>
/// The SSRF suite: every caller that reaches addresses the platform does not control (custom tools, media fetching,
/// outbound webhooks) × hostile targets: loopback, IPv6 loopback, cloud metadata, the private ranges, 0.0.0.0,
/// IPv4-mapped IPv6, decimal/hex/octal/short IPv4 spellings, names resolving to loopback, credentials in the URL, a
/// redirect from an allowed server to loopback or metadata, and non-http schemes. Each is refused with a reason and the
/// internal server never receives a request. The older per-caller cases (CustomToolTests, MediaFetchRulesTests,
/// OutboundWebhookTests) stay where they are: they prove each caller's own rules (media hosts, https for webhooks).
/// </summary>
public class SsrfSuiteTests(SsrfApp fixture) : IClassFixture<SsrfApp>
{
    /// <summary>Targets; {internal} is the internal server's port, {redirector} the allowed server's.</summary>
    public static readonly string[] Targets =
    [
        "http://127.0.0.1:{internal}/admin",
        "http://[::1]:{internal}/admin",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://10.0.0.1/",
        "http://172.16.0.1/",
        "http://172.31.255.254/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://0.0.0.0:{internal}/admin",
        "http://[::ffff:127.0.0.1]:{internal}/admin",
        "http://[::ffff:7f00:1]:{internal}/admin",
        "http://2130706433:{internal}/admin",
        "http://0x7f000001:{internal}/admin",
        "http://0177.0.0.1:{internal}/admin",
        "http://127.1:{internal}/admin",
        "http://localhost:{internal}/admin",
        "http://good.example.com@127.0.0.1:{internal}/admin",
        "http://127.0.0.1:{redirector}/redirect?to=http%3A%2F%2F127.0.0.1%3A{internal}%2Fadmin",
        "http://127.0.0.1:{redirector}/redirect?to=http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F",
        "http://127.0.0.1:{redirector}/redirect?to=http%3A%2F%2Flocalhost%3A{internal}%2Fadmin",
        "http://127.0.0.1:{redirector}/redirect?to=file%3A%2F%2F%2Fetc%2Fpasswd",
        "file:///etc/passwd",
        "gopher://127.0.0.1:{internal}/_admin",
        "ftp://127.0.0.1:{internal}/",
    ];

    public static TheoryData<string> TargetData() => new(Targets);

    private string Url(string target) => target.Replace("{internal}", fixture.Internal.Port.ToString())
        .Replace("{redirector}", fixture.Redirector.Port.ToString());

    private bool InternalReached => !fixture.Internal.Received.IsEmpty;

    [Theory]
    [MemberData(nameof(TargetData))]
    public async Task A_custom_tool_aimed_at_a_hostile_target_is_refused_with_a_reason(string target)
    {
        AgentTool tool;
        try
        {
            tool = AgentTool.Create(Guid.NewGuid(), new AgentToolSpec("lookup", "Looks something up", """{"type":"object","properties":{}}""",
                Url(target), "GET", null, null, 3, "live", null), fixture.App.Services.GetRequiredService<SecretProtector>().Protect, DateTimeOffset.UtcNow);
        }
        catch (DomainException refused)
        {
            Assert.Equal("tool.url", refused.Code); // refused when the tenant saves it
            return;
        }
        var outcome = await fixture.App.Services.GetRequiredService<CustomToolRunner>().RunAsync(tool, JsonSerializer.SerializeToElement(new { }), false, default);
        Assert.True(outcome.Error?.StartsWith("refused", StringComparison.Ordinal) == true, $"{target}: {outcome.Error ?? outcome.Output}");
        Assert.False(InternalReached, "the internal server was called");
    }

    [Theory]
    [MemberData(nameof(TargetData))]
    public async Task A_media_url_at_a_hostile_target_is_refused_by_the_media_client(string target)
    {
        // The media client's address rule (its host rule, tested in MediaFetchRulesTests, comes on top of this).
        var client = fixture.App.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Infrastructure.Media.MediaFetcher.HttpClientName);
        var error = await Record.ExceptionAsync(async () =>
        {
            using var response = await GuardedNetwork.GetFollowingRedirectsAsync(client, new Uri(Url(target)),
                uri => new HttpRequestMessage(HttpMethod.Get, uri), _ => null, 3, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        });
        Assert.True(GuardedNetwork.Blocked(error) is not null, $"{target}: {error?.GetType().Name} {error?.Message}");
        Assert.False(InternalReached, "the internal server was called");
    }

    [Theory]
    [MemberData(nameof(TargetData))]
    public async Task An_outbound_webhook_at_a_hostile_target_is_refused(string target)
    {
        var tenant = await fixture.App.TenantAsync();
        var api = fixture.App.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        var url = Url(target);
        var response = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/webhooks", new { url, events = new[] { "lead.created" } });
        if (target.Contains("{redirector}/redirect"))
        {
            // The allowed server itself may be subscribed; what it redirects to is never followed: the webhook client
            // does not follow redirects at all.
            var client = fixture.App.Services.GetRequiredService<IHttpClientFactory>().CreateClient(OutboundWebhookWorker.HttpClientName);
            using var sent = await client.PostAsync(url, new StringContent("{}"));
            Assert.True((int)sent.StatusCode is >= 300 and < 400, $"{target}: {(int)sent.StatusCode}");
        }
        else
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            var code = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString();
            Assert.Contains(code, new[] { "webhook.url_blocked", "webhook.url_invalid" });
        }
        Assert.False(InternalReached, "the internal server was called");
    }
}
