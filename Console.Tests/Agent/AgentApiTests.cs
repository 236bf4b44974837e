using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Agent;

public class AgentApiTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private HttpClient Platform()
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        return client;
    }

    [Fact]
    public async Task A_new_tenant_has_a_sensible_live_agent_that_the_api_can_change_as_a_new_version()
    {
        var tenant = await app.TenantAsync("Clínica Norte");
        var api = Platform();
        var initial = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/agent");
        Assert.Contains("{{business_name}}", initial.GetProperty("systemPrompt").GetString());
        Assert.Equal(5, initial.GetProperty("bufferSeconds").GetInt32());
        Assert.True(initial.GetProperty("botEnabled").GetBoolean());
        var version = initial.GetProperty("version").GetInt32();

        var put = await api.PutAsJsonAsync($"/api/v1/tenants/{tenant.Id}/agent", new
        {
            systemPrompt = "Eres la recepcionista de {{business_name}}.",
            tone = "cálido y breve",
            bufferSeconds = 8,
            timeZone = "America/Bogota",
            businessHours = new[] { new { day = "Monday", opens = "09:00", closes = "13:00" }, new { day = "Monday", opens = "14:00", closes = "18:00" } },
            escalationKeywords = new[] { "gerente" },
            fewShotExamples = new[] { new { customer = "¿Precio?", agent = "La limpieza cuesta $600." } },
            botEnabled = false,
        });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var after = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/agent");
        Assert.Equal("Eres la recepcionista de {{business_name}}.", after.GetProperty("systemPrompt").GetString());
        Assert.Equal("cálido y breve", after.GetProperty("tone").GetString());
        Assert.Equal(8, after.GetProperty("bufferSeconds").GetInt32());
        Assert.Equal(2, after.GetProperty("businessHours").GetArrayLength());
        Assert.False(after.GetProperty("botEnabled").GetBoolean());
        Assert.Equal(0.3, after.GetProperty("temperature").GetDouble()); // left out: kept
        Assert.True(after.GetProperty("version").GetInt32() > version);
    }

    [Theory]
    [InlineData("""{"timeZone":"Mars/Olympus"}""", 422, "Unknown time zone")]
    [InlineData("""{"temperature":3}""", 422, "between 0 and 2")]
    [InlineData("""{"businessHours":[{"day":"Funday","opens":"09:00","closes":"10:00"}]}""", 400, "unknown day")]
    [InlineData("""{"businessHours":[{"day":"Monday","opens":"18:00","closes":"09:00"}]}""", 422, "must be after")]
    [InlineData("""{"systemPrompt":""}""", 422, "required")]
    public async Task A_bad_profile_is_refused_with_a_problem_that_names_the_field_and_nothing_changes(string json, int status, string message)
    {
        var tenant = await app.TenantAsync();
        var api = Platform();
        var before = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/agent");
        var response = await api.PutAsync($"/api/v1/tenants/{tenant.Id}/agent", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(status, (int)response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(message, problem.GetProperty("detail").GetString());
        var after = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/agent");
        Assert.Equal(before.GetProperty("version").GetInt32(), after.GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task A_tenant_key_cannot_read_another_tenants_agent()
    {
        var mine = await app.TenantAsync();
        var theirs = await app.TenantAsync();
        var issued = await Platform().PostAsJsonAsync($"/api/v1/tenants/{mine.Id}/api-keys", new { name = "n8n" });
        var key = (await issued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString();
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/tenants/{mine.Id}/agent")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync($"/api/v1/tenants/{theirs.Id}/agent")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PutAsJsonAsync($"/api/v1/tenants/{theirs.Id}/agent", new { tone = "x" })).StatusCode);
    }
}
