using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Localization;

/// <summary>Problem details are worded in the caller's language: Accept-Language or the UI culture cookie, English when neither.</summary>
public class ApiLanguageTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private HttpClient Platform(string? language = null)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        if (language is not null) client.DefaultRequestHeaders.AcceptLanguage.ParseAdd(language);
        return client;
    }

    private static async Task<JsonElement> PutAgentAsync(HttpClient api, Guid tenantId, string json, HttpStatusCode expected)
    {
        var response = await api.PutAsync($"/api/v1/tenants/{tenantId}/agent", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Theory]
    [InlineData("es-MX", "Zona horaria desconocida 'Mars/Olympus' (usa un nombre IANA como America/Bogota).", "Solicitud no válida")]
    [InlineData("es", "Zona horaria desconocida 'Mars/Olympus' (usa un nombre IANA como America/Bogota).", "Solicitud no válida")]
    [InlineData("en-US", "Unknown time zone 'Mars/Olympus' (use an IANA name such as America/Bogota).", "Invalid request")]
    public async Task A_bad_time_zone_is_refused_in_the_callers_language(string language, string detail, string title)
    {
        var tenant = await app.TenantAsync();
        var problem = await PutAgentAsync(Platform(language), tenant.Id, """{"timeZone":"Mars/Olympus"}""", HttpStatusCode.UnprocessableEntity);
        Assert.Equal(detail, problem.GetProperty("detail").GetString());
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.Equal("agent.time_zone", problem.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("es", """{"temperature":3}""", 422, "La temperatura va de 0 a 2.")]
    [InlineData("en", """{"temperature":3}""", 422, "Temperature is between 0 and 2.")]
    [InlineData("es", """{"businessHours":[{"day":"Funday","opens":"09:00","closes":"10:00"}]}""", 400, "businessHours: día desconocido 'Funday' (usa Monday … Sunday).")]
    [InlineData("en", """{"businessHours":[{"day":"Funday","opens":"09:00","closes":"10:00"}]}""", 400, "businessHours: unknown day 'Funday' (use Monday … Sunday).")]
    [InlineData("es", """{"businessHours":[{"day":"Monday","opens":"18:00","closes":"09:00"}]}""", 422, "lunes: la hora de cierre 09:00 debe ser posterior a la de apertura 18:00.")]
    public async Task Validation_errors_come_back_in_Spanish_or_English(string language, string json, int status, string detail)
    {
        var tenant = await app.TenantAsync();
        var problem = await PutAgentAsync(Platform(language), tenant.Id, json, (HttpStatusCode)status);
        Assert.Equal(detail, problem.GetProperty("detail").GetString());
        // The values that fill the sentence never leak into the answer.
        Assert.False(problem.TryGetProperty("__args", out _));
    }

    [Fact]
    public async Task The_ui_culture_cookie_chooses_the_language_and_no_choice_means_English()
    {
        var tenant = await app.TenantAsync();
        var withCookie = Platform();
        withCookie.DefaultRequestHeaders.Add("Cookie", ".AspNetCore.Culture=c%3Des%7Cuic%3Des");
        var missing = await withCookie.DeleteAsync($"/api/v1/tenants/{tenant.Id}/tools/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var es = await missing.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Esa herramienta no existe en este espacio.", es.GetProperty("detail").GetString());
        Assert.Equal("No encontrado", es.GetProperty("title").GetString());

        var plain = await Platform().PutAsync($"/api/v1/tenants/{tenant.Id}/agent",
            new StringContent("""{"temperature":3}""", Encoding.UTF8, "application/json"));
        Assert.Equal("Temperature is between 0 and 2.", (await plain.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task The_agents_time_zone_becomes_the_business_time_zone_every_screen_uses()
    {
        var tenant = await app.TenantAsync();
        var api = Platform();
        var put = await api.PutAsJsonAsync($"/api/v1/tenants/{tenant.Id}/agent", new { timeZone = "America/Bogota" });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var summary = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}");
        Assert.Equal("America/Bogota", summary.GetProperty("timeZone").GetString());
    }
}
