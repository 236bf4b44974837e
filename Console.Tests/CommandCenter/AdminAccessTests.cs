using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.App.Auth;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.CommandCenter;

/// <summary>
/// Every command-center page (<c>/admin*</c>), every platform API route (<c>/api/v1/platform/*</c>) and every hub method
/// meant for super admins, read from the app's own route table, so routes added later are covered without editing this
/// test: a tenant's owner, its agent and a tenant API key with every scope are refused (never a 2xx).
/// </summary>
public partial class AdminAccessTests(BrowserAppFactory app) : IClassFixture<BrowserAppFactory>
{
    private sealed record Target(string Method, string Path, string Pattern);

    private List<Target> Targets()
    {
        var tenantSlug = DemoSeeder.TenantSlug;
        var targets = new List<Target>();
        foreach (var endpoint in app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
            var admin = pattern.Equals("/admin", StringComparison.OrdinalIgnoreCase) || pattern.StartsWith("/admin/", StringComparison.OrdinalIgnoreCase);
            if (!admin && !pattern.StartsWith("/api/v1/platform", StringComparison.OrdinalIgnoreCase)) continue;
            var path = Parameter().Replace(pattern, m =>
                m.Value.Contains(":guid", StringComparison.OrdinalIgnoreCase) || m.Value.Contains("Id", StringComparison.Ordinal) ? Guid.NewGuid().ToString()
                : m.Value is "{t}" ? tenantSlug : "x");
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            // Pages also answer POST for their forms; antiforgery refuses those before any code runs, GET is the one that renders.
            foreach (var method in admin && endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>() is not null
                         ? methods.Where(m => m == "GET") : methods)
                targets.Add(new Target(method, path, pattern));
        }
        return targets.DistinctBy(t => (t.Method, t.Pattern)).ToList();
    }

    [Fact]
    public async Task AdminAccess_every_admin_page_and_platform_route_refuses_tenant_members_and_tenant_keys()
    {
        var targets = Targets();
        var patterns = targets.Select(t => t.Pattern).ToHashSet();
        foreach (var expected in new[] { "/admin", "/admin/tenants", "/admin/usage", "/admin/channels", "/admin/billing", "/admin/usage/export.csv",
                     "/api/v1/platform/tenants/{t}/suspend", "/api/v1/platform/tenants/{t}/resume" })
            Assert.Contains(expected, patterns);

        var owner = await SignedInAsync(DemoSeeder.OwnerEmail, DemoSeeder.Password);
        var agent = await SignedInAsync(DemoSeeder.AgentEmail, DemoSeeder.Password);
        Guid demoTenant;
        await using (var work = app.Scopes.ForSystem("test"))
            demoTenant = await work.Db.Tenants.Where(t => t.Slug == DemoSeeder.TenantSlug).Select(t => t.Id).SingleAsync();
        var key = await app.Services.GetRequiredService<ApiKeyService>()
            .IssueAsync(demoTenant, "access test", ["read", "write", "admin"], null, new ApiKeyActor("test"));
        var tenantKey = Client(new CookieContainer());
        tenantKey.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Key);

        var failures = new List<string>();
        foreach (var (who, client) in new[] { ("owner", owner.Http), ("agent", agent.Http), ("tenant key", tenantKey) })
        {
            foreach (var target in targets)
            {
                using var request = new HttpRequestMessage(new HttpMethod(target.Method), target.Path);
                if (target.Method is not ("GET" or "HEAD" or "DELETE")) request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                using var response = await client.SendAsync(request);
                var status = (int)response.StatusCode;
                var toLogin = response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found
                              && response.Headers.Location?.OriginalString.Contains("/Account/Login", StringComparison.OrdinalIgnoreCase) == true;
                if (status is not (401 or 403 or 404) && !toLogin)
                    failures.Add($"{who}: {target.Method} {target.Path} answered {status}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // The same requests do reach a super admin (so a refusal above is the rule, not a broken route).
        var root = await SignedInAsync(DemoSeeder.AdminEmail, DemoSeeder.Password);
        foreach (var path in new[] { "/admin/tenants", "/admin/usage", "/admin/channels" })
            Assert.Equal(HttpStatusCode.OK, (await root.Http.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task AdminAccess_super_admin_hub_methods_refuse_tenant_members()
    {
        var hubs = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Endpoint: e, Hub: e.Metadata.GetMetadata<HubMetadata>()))
            .Where(x => x.Hub is not null && !(x.Endpoint.RoutePattern.RawText ?? "").EndsWith("/negotiate", StringComparison.Ordinal))
            .GroupBy(x => x.Hub!.HubType).Select(g => (Type: g.Key, Path: g.First().Endpoint.RoutePattern.RawText!)).ToList();
        Assert.NotEmpty(hubs);
        var owner = await SignedInAsync(DemoSeeder.OwnerEmail, DemoSeeder.Password);
        foreach (var (type, path) in hubs)
        {
            var classOnly = IsSuperAdminOnly(type);
            var methods = type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .Where(m => !m.IsSpecialName && (classOnly || IsSuperAdminOnly(m))).ToList();
            if (!classOnly && methods.Count == 0) continue;
            await using var connection = new HubConnectionBuilder()
                .WithUrl(new Uri(app.ServerAddress, path), o => o.Cookies = owner.Cookies)
                .Build();
            if (classOnly)
            {
                await Assert.ThrowsAnyAsync<Exception>(() => connection.StartAsync());
                continue;
            }
            await connection.StartAsync();
            foreach (var method in methods)
            {
                var args = method.GetParameters().Where(p => p.ParameterType != typeof(CancellationToken))
                    .Select(p => p.ParameterType == typeof(Guid) ? Guid.NewGuid() : p.ParameterType == typeof(string) ? "x"
                        : p.ParameterType.IsValueType ? Activator.CreateInstance(p.ParameterType) : null).ToArray();
                await Assert.ThrowsAsync<HubException>(() => connection.InvokeCoreAsync(method.Name, typeof(object), args!));
            }
        }
    }

    private static bool IsSuperAdminOnly(MemberInfo member) => member.GetCustomAttributes<AuthorizeAttribute>(inherit: true)
        .Any(a => a.Policy == Policies.SuperAdmin || (a.Roles ?? "").Split(',').Contains(Roles.SuperAdmin));

    private HttpClient Client(CookieContainer cookies) =>
        new(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = app.ServerAddress };

    private async Task<(HttpClient Http, CookieContainer Cookies)> SignedInAsync(string email, string password)
    {
        var cookies = new CookieContainer();
        var http = Client(cookies);
        var login = await new FormClient(http).LoginAsync(email, password);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return (http, cookies);
    }

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Parameter();
}
