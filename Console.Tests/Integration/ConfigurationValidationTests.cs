using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Integration;

/// <summary>
/// Every configuration section is bound to one options class and checked when the app starts: a bad value stops the
/// start with a message naming its key, and the keys of the sections that used to be bound twice are all still read.
/// </summary>
public class ConfigurationValidationTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private static async Task DisposeQuietlyAsync(NodeAppFactory node)
    {
        try
        {
            await node.DisposeAsync();
        }
        catch (Exception)
        {
            // The host never started, so disposing it may fail; the database belongs to the fixture.
        }
    }

    private static IEnumerable<Exception> Causes(Exception error)
    {
        yield return error;
        IEnumerable<Exception> inner = error is AggregateException aggregate ? aggregate.InnerExceptions
            : error.InnerException is { } one ? [one] : [];
        foreach (var cause in inner.SelectMany(Causes)) yield return cause;
    }

    [Theory]
    [InlineData("Agent:Workers", "-1")]
    [InlineData("Agent:LeaseSeconds", "0")]
    [InlineData("Media:MaxBytes", "-1")]
    [InlineData("Media:OutboundLinkLifetime", "00:00:00")]
    [InlineData("Webhooks:BatchSize", "0")]
    [InlineData("Outbound:MaxAttempts", "0")]
    [InlineData("Live:HeartbeatSeconds", "0")]
    [InlineData("Smtp:Port", "70000")]
    [InlineData("TikTok:ApiBaseUrl", "business-api.tiktok.com")]
    [InlineData("Stripe:ApiBase", "ftp://stripe.example")]
    [InlineData("Simulator:BaseUrl", "not a url")]
    [InlineData("Network:KnownProxies", "10.0.0.1,not-an-ip")]
    [InlineData("Platform:PublicBaseUrl", "console.example")]
    [InlineData("RateLimits:ApiPerKeyPerMinute", "0")]
    [InlineData("Appointments:MaxOpenPerContact", "0")]
    public async Task A_bad_value_stops_the_start_naming_its_key(string key, string value)
    {
        var node = new NodeAppFactory(app.Database, new Dictionary<string, string?> { [key] = value });
        try
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(node.InitializeAsync);
            // The host may wrap the validation failure (a failed start also stops what already started, and a stop
            // error is aggregated with it), so look through the whole tree of causes.
            var validation = Causes(error).OfType<OptionsValidationException>().FirstOrDefault();
            Assert.True(validation is not null, $"The start failed without naming a bad option: {error}");
            Assert.Contains(key, validation.Message);
        }
        finally
        {
            await DisposeQuietlyAsync(node);
        }
    }

    [Fact]
    public async Task The_defaults_start_and_a_node_without_workers_is_still_valid()
    {
        var node = new NodeAppFactory(app.Database, new Dictionary<string, string?>
            { ["Agent:Workers"] = "0", ["Webhooks:Workers"] = "0", ["Outbound:Workers"] = "0", ["Media:Workers"] = "0" });
        try
        {
            await node.InitializeAsync();
            Assert.Equal(HttpStatusCode.OK, (await node.CreateClient().GetAsync("/health/live")).StatusCode);
        }
        finally
        {
            await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task Keys_of_merged_sections_are_all_still_read()
    {
        var node = new NodeAppFactory(app.Database, new Dictionary<string, string?>
        {
            ["Platform:AllowedModels:0"] = "gpt-4.1-mini",
            ["Agent:ToolAllowlist:0"] = "10.1.1.1:8080",
            ["Network:PrivateAllowlist:0"] = "10.2.2.2",
            ["Network:KnownProxies"] = "10.9.9.1; 10.9.9.2",
            ["Network:KnownNetworks:0"] = "10.8.0.0/16",
            ["Outbound:Mode"] = "Loopback",
            ["Outbound:MaxAttempts"] = "5",
        });
        try
        {
            await node.InitializeAsync();
            var services = node.Services;
            Assert.Equal(["gpt-4.1-mini"], services.GetRequiredService<ModelAllowlist>().Allowed);
            Assert.Equal(["10.2.2.2", "10.1.1.1:8080"], services.GetRequiredService<GuardedNetwork>().Allowlist);
            var forwarded = services.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value;
            Assert.Equal([IPAddress.Parse("10.9.9.1"), IPAddress.Parse("10.9.9.2")], forwarded.KnownProxies);
            Assert.Equal([System.Net.IPNetwork.Parse("10.8.0.0/16")], forwarded.KnownIPNetworks);
            var outbound = services.GetRequiredService<IOptions<OperatorConsole.Infrastructure.Options.OutboundOptions>>().Value;
            Assert.Equal((OperatorConsole.Infrastructure.Options.OutboundMode.Loopback, 5), (outbound.Mode, outbound.MaxAttempts));
        }
        finally
        {
            await node.DisposeAsync();
        }
    }
}
