using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Security;

/// <summary>
/// The app behind a pretend reverse proxy: a request's TCP peer is taken from the test header <c>X-Test-Peer</c>
/// (TestServer has no socket), so tests can speak as the trusted proxy (10.9.9.9) or as an untrusted client.
/// </summary>
public class SecurityAppFactory(IReadOnlyDictionary<string, string?> settings) : ConsoleAppFactory(null, WithProxy(settings))
{
    public const string Proxy = "10.9.9.9";
    public const string PublicBaseUrl = "https://console.example.test";

    private static Dictionary<string, string?> WithProxy(IReadOnlyDictionary<string, string?> settings) => new(settings)
    {
        ["Network:KnownProxies:0"] = Proxy,
        ["Platform:PublicBaseUrl"] = settings.TryGetValue("Platform:PublicBaseUrl", out var url) ? url : PublicBaseUrl,
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(s => s.AddTransient<IStartupFilter, PeerFromHeader>());
    }

    /// <summary>A client whose requests arrive from <paramref name="peer"/>, optionally forwarding for <paramref name="forwardedFor"/>.</summary>
    public HttpClient Client(string peer, string? forwardedFor = null, string baseAddress = "http://localhost")
    {
        var http = CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions
            { AllowAutoRedirect = false, HandleCookies = true, BaseAddress = new Uri(baseAddress) });
        http.DefaultRequestHeaders.Add("X-Test-Peer", peer);
        if (forwardedFor is not null) http.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("es");
        return http;
    }

    private sealed class PeerFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (IPAddress.TryParse(context.Request.Headers["X-Test-Peer"].ToString(), out var peer)) context.Connection.RemoteIpAddress = peer;
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
