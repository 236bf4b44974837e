using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Integration;

public class ApiTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private HttpClient Client(string? key)
    {
        var client = app.CreateClient();
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private HttpClient Platform => Client(ConsoleAppFactory.PlatformKey);

    private async Task<(Guid Id, string Slug)> CreateTenantAsync()
    {
        var slug = TestData.Unique("api");
        var response = await Platform.PostAsJsonAsync("/api/v1/tenants",
            new { name = "Clínica " + slug, slug, plan = "growth", ownerEmail = $"{slug}@owner.test", ownerPassword = "Str0ng!Pass" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("id").GetGuid(), body.GetProperty("slug").GetString()!);
    }

    private async Task<string> IssueKeyAsync(Guid tenantId)
    {
        var response = await Platform.PostAsJsonAsync($"/api/v1/tenants/{tenantId}/api-keys", new { name = "n8n", scopes = new[] { "read", "write", "admin" } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task Creating_a_tenant_twice_with_the_same_slug_is_a_409_problem_not_a_500()
    {
        var (_, slug) = await CreateTenantAsync();
        var again = await Platform.PostAsJsonAsync("/api/v1/tenants",
            new { name = "Otra", slug, ownerEmail = $"other-{slug}@owner.test", ownerPassword = "Str0ng!Pass" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var problem = await ProblemAsync(again);
        Assert.Equal("tenant.slug_taken", problem.GetProperty("code").GetString());
        Assert.Contains(slug, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Concurrent_creations_of_one_slug_yield_one_tenant_and_409s()
    {
        var slug = TestData.Unique("race");
        var attempts = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => Platform.PostAsJsonAsync("/api/v1/tenants",
            new { name = "Race", slug, ownerEmail = $"r{i}-{slug}@owner.test", ownerPassword = "Str0ng!Pass" })));
        Assert.Single(attempts, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(attempts.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
    }

    [Fact]
    public async Task A_tenant_key_gets_403_on_another_tenants_routes_and_200_on_its_own()
    {
        var a = await CreateTenantAsync();
        var b = await CreateTenantAsync();
        var keyOfA = await IssueKeyAsync(a.Id);
        var client = Client(keyOfA);

        var own = await client.GetAsync($"/api/v1/tenants/{a.Id}");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(a.Slug, (await own.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("slug").GetString());

        foreach (var request in new[]
        {
            new HttpRequestMessage(HttpMethod.Get, $"/api/v1/tenants/{b.Id}"),
            new HttpRequestMessage(HttpMethod.Get, $"/api/v1/tenants/{b.Slug}"),
            new HttpRequestMessage(HttpMethod.Post, $"/api/v1/tenants/{b.Id}/api-keys") { Content = JsonContent.Create(new { name = "steal" }) },
            new HttpRequestMessage(HttpMethod.Post, $"/api/v1/tenants/{b.Id}/channels")
                { Content = JsonContent.Create(new { kind = "whatsapp", externalId = "999", accessToken = "x" }) },
            new HttpRequestMessage(HttpMethod.Get, $"/api/v1/tenants/{Guid.NewGuid()}"),
        })
        {
            var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            await ProblemAsync(response);
        }
        // Only the platform key creates tenants.
        var create = await client.PostAsJsonAsync("/api/v1/tenants", new { name = "x", slug = TestData.Unique("x"), ownerEmail = "x@y.test" });
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("csk_not-a-real-key-at-all")]
    [InlineData("something-else")]
    public async Task Missing_or_unknown_keys_get_401_problem(string? key)
    {
        var response = await Client(key).GetAsync($"/api/v1/tenants/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await ProblemAsync(response);
    }

    [Fact]
    public async Task Tenant_summary_shows_plan_subscription_and_usage()
    {
        var (id, slug) = await CreateTenantAsync();
        var summary = await Platform.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{slug}");
        Assert.Equal(id, summary.GetProperty("id").GetGuid());
        Assert.Equal("Growth", summary.GetProperty("plan").GetString());
        // Made by the platform without a trial or a subscription: served in full.
        Assert.Equal("active", summary.GetProperty("subscriptionStatus").GetString());
        Assert.Equal(0, summary.GetProperty("usage").GetProperty("channels").GetInt32());
    }

    [Fact]
    public async Task Connecting_a_channel_returns_its_webhook_url_and_a_number_can_belong_to_one_tenant_only()
    {
        var a = await CreateTenantAsync();
        var b = await CreateTenantAsync();
        var phoneNumberId = Random.Shared.NextInt64(100000000000000, 999999999999999).ToString();
        var created = await Client(await IssueKeyAsync(a.Id)).PostAsJsonAsync($"/api/v1/tenants/{a.Id}/channels",
            new { kind = "whatsapp", externalId = phoneNumberId, accountId = "waba", accessToken = "EAAG-token", appSecret = "s", verifyToken = "v" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.EndsWith($"/webhooks/whatsapp/{a.Slug}", body.GetProperty("webhookUrl").GetString());

        var usage = await Platform.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{a.Id}");
        Assert.Equal(1, usage.GetProperty("usage").GetProperty("channels").GetInt32());

        var taken = await Platform.PostAsJsonAsync($"/api/v1/tenants/{b.Id}/channels",
            new { kind = "whatsapp", externalId = phoneNumberId, accessToken = "other" });
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Equal("channel.taken", (await ProblemAsync(taken)).GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("""{"kind":"fax","externalId":"1","accessToken":"t"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"kind":"whatsapp","externalId":"","accessToken":"t"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"kind":"whatsapp","externalId":"12 34","accessToken":"t"}""", HttpStatusCode.UnprocessableEntity)]
    [InlineData("""{"kind": "whatsapp", """, HttpStatusCode.BadRequest)]
    public async Task Bad_channel_requests_get_a_clear_problem(string json, HttpStatusCode expected)
    {
        var (id, _) = await CreateTenantAsync();
        var response = await Platform.PostAsync($"/api/v1/tenants/{id}/channels", new StringContent(json, MediaTypeHeaderValue.Parse("application/json")));
        Assert.Equal(expected, response.StatusCode);
        Assert.False(string.IsNullOrEmpty((await ProblemAsync(response)).GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task Bad_tenant_requests_get_a_clear_problem()
    {
        var badPlan = await Platform.PostAsJsonAsync("/api/v1/tenants", new { name = "x", slug = TestData.Unique("p"), plan = "gold", ownerEmail = "a@b.test" });
        Assert.Equal(HttpStatusCode.BadRequest, badPlan.StatusCode);
        Assert.Contains("gold", (await ProblemAsync(badPlan)).GetProperty("detail").GetString());

        var badSlug = await Platform.PostAsJsonAsync("/api/v1/tenants", new { name = "x", slug = "No Spaces!", ownerEmail = "a@b.test" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badSlug.StatusCode);
        Assert.Equal("tenant.slug", (await ProblemAsync(badSlug)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task OpenAPI_document_describes_the_api()
    {
        var doc = await app.CreateClient().GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = doc.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/tenants", out _));
        Assert.True(paths.TryGetProperty("/api/v1/tenants/{t}/channels", out _));
    }

    [Fact]
    public async Task Health_endpoints_answer()
    {
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
    }
}
