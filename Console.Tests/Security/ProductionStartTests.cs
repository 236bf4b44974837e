using System.Net;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Security;

/// <summary>What Production insists on: a public URL, host filtering from it, HSTS.</summary>
public class ProductionStartTests
{
    private static NodeAppFactory Production(string publicBaseUrl) => new(null, new Dictionary<string, string?>
    {
        ["environment"] = "Production",
        ["Platform:PublicBaseUrl"] = publicBaseUrl,
    });

    private static async Task DisposeAsync(NodeAppFactory app)
    {
        try
        {
            await app.DisposeAsync();
        }
        catch (Exception) when (app.Database.Length > 0)
        {
            await TestDatabase.DropAsync(app.Database); // the host never started, so its disposal may fail
        }
    }

    [Fact]
    public async Task Production_refuses_to_start_without_a_public_url()
    {
        var app = Production("");
        try
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(app.InitializeAsync);
            Assert.Contains("Platform:PublicBaseUrl is required in Production", error.ToString());
        }
        finally
        {
            await DisposeAsync(app);
        }
    }

    [Fact]
    public async Task Production_answers_only_for_the_public_host_and_sends_hsts()
    {
        var app = Production("https://console.example.test");
        try
        {
            await app.InitializeAsync();
            var ours = app.CreateClient(new() { BaseAddress = new Uri("https://console.example.test") });
            var response = await ours.GetAsync("/health/live");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("max-age=", response.Headers.GetValues("Strict-Transport-Security").Single());

            var forged = app.CreateClient(new() { BaseAddress = new Uri("https://evil.example") });
            Assert.Equal(HttpStatusCode.BadRequest, (await forged.GetAsync("/health/live")).StatusCode);
        }
        finally
        {
            await DisposeAsync(app);
        }
    }
}
