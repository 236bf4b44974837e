using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Security;

public sealed class LinksAppFactory() : SecurityAppFactory(new Dictionary<string, string?>());

/// <summary>Links come from Platform:PublicBaseUrl; forwarded headers count only from the configured proxy; headers on every answer.</summary>
public class PublicLinkTests(LinksAppFactory app) : IClassFixture<LinksAppFactory>
{
    private const string Untrusted = "192.0.2.10";

    private async Task<string> ResetLinkAsync(HttpClient http, string email)
    {
        var sent = await new FormClient(http).PostFormAsync("/Account/ForgotPassword", "forgot-password",
            new Dictionary<string, string> { ["Input.Email"] = email });
        Assert.EndsWith("/Account/ForgotPasswordConfirmation", sent.Headers.Location?.OriginalString);
        await using var work = app.Scopes.ForSystem("test");
        var stored = await work.Db.OutboundEmails.SingleAsync(e => e.To == email);
        Assert.Equal(EmailStatus.Stored, stored.Status);
        return WebUtility.HtmlDecode(Regex.Match(stored.HtmlBody, "href=\"([^\"]+)\"").Groups[1].Value);
    }

    [Fact]
    public async Task Reset_link_is_built_from_the_public_url_not_from_the_host_header()
    {
        var tenant = await app.TenantAsync();
        var http = app.Client(Untrusted, baseAddress: "http://evil.example");
        var link = await ResetLinkAsync(http, $"{tenant.Slug}@owner.test");
        Assert.StartsWith(SecurityAppFactory.PublicBaseUrl + "/Account/ResetPassword?code=", link);
        Assert.DoesNotContain("evil", link);
    }

    [Fact]
    public async Task Reset_link_ignores_forwarded_host_headers_even_from_the_trusted_proxy()
    {
        var tenant = await app.TenantAsync();
        var http = app.Client(SecurityAppFactory.Proxy, forwardedFor: "198.51.100.20");
        http.DefaultRequestHeaders.Add("X-Forwarded-Host", "evil.example");
        var link = await ResetLinkAsync(http, $"{tenant.Slug}@owner.test");
        Assert.StartsWith(SecurityAppFactory.PublicBaseUrl + "/Account/ResetPassword?code=", link);
    }

    [Fact]
    public async Task Forgot_password_answers_the_same_way_and_no_faster_for_unknown_addresses()
    {
        var tenant = await app.TenantAsync();
        async Task<(HttpStatusCode Status, string? Location, TimeSpan Took)> AskAsync(string email, string from)
        {
            var started = Stopwatch.GetTimestamp();
            var response = await new FormClient(app.Client(SecurityAppFactory.Proxy, from)).PostFormAsync("/Account/ForgotPassword",
                "forgot-password", new Dictionary<string, string> { ["Input.Email"] = email });
            return (response.StatusCode, response.Headers.Location?.OriginalString, Stopwatch.GetElapsedTime(started));
        }

        var known = await AskAsync($"{tenant.Slug}@owner.test", "198.51.100.21");
        var unknown = await AskAsync(TestData.Unique("nobody") + "@nowhere.test", "198.51.100.22");
        Assert.Equal(known.Status, unknown.Status);
        Assert.Equal(known.Location, unknown.Location);
        // Both answers wait out the same floor, so the unknown one is not measurably quicker.
        Assert.True(unknown.Took >= TimeSpan.FromMilliseconds(400), $"unknown address answered in {unknown.Took.TotalMilliseconds} ms");
        Assert.True(known.Took >= TimeSpan.FromMilliseconds(400), $"known address answered in {known.Took.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Console_pages_carry_a_content_security_policy_and_framing_and_sniffing_defences()
    {
        var response = await app.Client(Untrusted).GetAsync("/Account/Login");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var csp = string.Join(" ", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("connect-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("object-src 'none'", csp);
        Assert.DoesNotContain("unsafe", csp.Split("script-src")[1].Split(';')[0]);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("strict-origin-when-cross-origin", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("camera=()", response.Headers.GetValues("Permissions-Policy").Single());
        // The inline import map is allowed by this response's nonce, and only by it.
        var nonce = Regex.Match(csp, "'nonce-([^']+)'").Groups[1].Value;
        Assert.NotEmpty(nonce);
        var importMap = Regex.Match(await response.Content.ReadAsStringAsync(), "<script[^>]*importmap[^>]*>").Value;
        Assert.Contains($"nonce=\"{nonce}\"", importMap);
    }

    [Fact]
    public async Task Api_answers_carry_the_same_defences()
    {
        var response = await app.Client(Untrusted).GetAsync($"/api/v1/tenants/{Guid.NewGuid()}/conversations");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task Cookies_are_secure_and_same_site_when_the_trusted_proxy_reports_https()
    {
        static string AntiforgeryCookie(HttpResponseMessage r) =>
            r.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(".AspNetCore.Antiforgery", StringComparison.Ordinal)).ToLowerInvariant();

        var viaProxy = app.Client(SecurityAppFactory.Proxy, "198.51.100.23");
        viaProxy.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        var secure = AntiforgeryCookie(await viaProxy.GetAsync("/Account/Login"));
        Assert.Contains("; secure", secure);
        Assert.Contains("samesite=strict", secure);

        // The same claim from anyone else is ignored: the request stays plain http.
        var forged = app.Client(Untrusted);
        forged.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        Assert.DoesNotContain("; secure", AntiforgeryCookie(await forged.GetAsync("/Account/Login")));

        var culture = await viaProxy.GetAsync("/Culture/Set?culture=en&returnUrl=/");
        var cookie = culture.Headers.GetValues("Set-Cookie").Single(v => v.StartsWith(".AspNetCore.Culture", StringComparison.Ordinal)).ToLowerInvariant();
        Assert.Contains("; secure", cookie);
        Assert.Contains("samesite=lax", cookie);
    }
}
