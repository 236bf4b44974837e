using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Hostile;

/// <summary>
/// A NUL character in any text the REST API takes (a label, a contact's name) is a 400 with a problem saying so, in the
/// caller's language, never a 500: PostgreSQL's text cannot hold it, and nothing is half-written.
/// </summary>
public class NulTextApiTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private static async Task AssertRefusedAsync(HttpResponseMessage response, string expectedWords)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal("request.nul", problem.GetProperty("code").GetString());
        Assert.Contains(expectedWords, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_NUL_in_a_label_name_or_a_contact_patch_is_a_400_in_the_callers_language_and_nothing_is_stored()
    {
        var tenant = await app.TenantAsync();
        var api = await app.TenantApiAsync(tenant.Id, "nul");
        var conversation = await app.ConversationAsync(tenant.Id, "Ana");

        await AssertRefusedAsync(await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/labels", new { name = "Fac\0tura" }), "Text may not contain the NUL character");
        await AssertRefusedAsync(await api.PatchAsJsonAsync($"/api/v1/tenants/{tenant.Id}/contacts/{conversation.ContactId}",
            new { name = "Ana\0María" }), "NUL");
        // A search splits its words on anything but letters and digits, a NUL included: it finds, it never fails.
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/api/v1/tenants/{tenant.Id}/contacts?q=an%00a")).StatusCode);

        var spanish = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/tenants/{tenant.Id}/labels")
        {
            Content = JsonContent.Create(new { name = "Fac\0tura" }),
            Headers = { AcceptLanguage = { new StringWithQualityHeaderValue("es") } },
        };
        await AssertRefusedAsync(await api.SendAsync(spanish), "El texto no puede contener el carácter NUL");

        await using var work = app.Scopes.ForSystem("test");
        Assert.False(await work.Db.Labels.AnyAsync(l => l.TenantId == tenant.Id));
        Assert.Equal("Ana", await work.Db.Contacts.Where(c => c.Id == conversation.ContactId).Select(c => c.Name).SingleAsync());

        // The same requests without the NUL work: the refusal is about the character.
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/labels", new { name = "Factura" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/api/v1/tenants/{tenant.Id}/contacts?q=ana")).StatusCode);
    }
}
