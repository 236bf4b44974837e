using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Agent.Knowledge;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Agent;

public class KnowledgeChunkerTests
{
    [Fact]
    public void Long_text_is_split_on_paragraphs_into_passages_near_the_target_size_and_never_mid_word()
    {
        var paragraph = string.Join(" ", Enumerable.Range(0, 400).Select(i => $"palabra{i}")) + ".";
        var text = "Precios\n\nLimpieza dental: $600 MXN.\n\n" + paragraph;
        var chunks = KnowledgeChunker.Split(text);
        Assert.True(chunks.Count >= 5);
        Assert.StartsWith("Precios\n\nLimpieza dental", chunks[0]); // a heading stays with its lines
        Assert.All(chunks, c => Assert.True(c.Length <= KnowledgeChunker.Target, $"{c.Length} chars"));
        var words = chunks.SelectMany(c => c.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Contains("palabra0", words);
        Assert.Contains("palabra399.", words);
        Assert.All(words.Where(w => w.StartsWith("palabra")), w => Assert.Matches(@"^palabra\d+\.?$", w));
    }

    [Fact]
    public void An_empty_or_oversized_document_is_refused_with_a_clear_message()
    {
        Assert.Equal("knowledge.content", Assert.Throws<OperatorConsole.Domain.Common.DomainException>(
            () => KnowledgeDocument.Create(Guid.NewGuid(), "Vacío", "   ", DateTimeOffset.UtcNow)).Code);
        Assert.Contains("200,000", Assert.Throws<OperatorConsole.Domain.Common.DomainException>(
            () => KnowledgeDocument.Create(Guid.NewGuid(), "Enorme", new string('a', 200_001), DateTimeOffset.UtcNow)).Message);
    }
}

public class KnowledgeTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private async Task<Guid> ClinicAsync()
    {
        var tenant = await app.TenantAsync();
        await using var work = app.Scopes.ForTenant(tenant.Id);
        var kb = work.Services.GetRequiredService<KnowledgeBase>();
        await kb.AddAsync("Servicios y precios", "Limpieza dental: $600 MXN, incluye revisión.\n\nBlanqueamiento: $2,500 MXN.\n\nOrtodoncia invisible: desde $35,000 MXN.", default);
        await kb.AddAsync("Horario y ubicación", "Abrimos de lunes a viernes de 9:00 a 18:00 y sábados de 9:00 a 14:00. Estamos en Av. Reforma 123, CDMX.", default);
        await kb.AddAsync("Cancellation policy", "Appointments can be cancelled free of charge up to 24 hours before.", default);
        return tenant.Id;
    }

    private async Task<IReadOnlyList<KnowledgePassage>> SearchAsync(Guid tenantId, string query)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return await work.Services.GetRequiredService<KnowledgeBase>().SearchAsync(query, 3, default);
    }

    [Theory]
    [InlineData("¿Cuánto cuesta una limpieza?", "Limpieza dental: $600")]
    [InlineData("cuanto cuesta la LIMPIEZA", "Limpieza dental: $600")]
    [InlineData("¿Cuál es su horario?", "lunes a viernes")]
    [InlineData("¿dónde están ubicados?", "Av. Reforma")]
    [InlineData("Can I cancel my appointment?", "free of charge")]
    [InlineData("precio del blanqueamiento", "Blanqueamiento: $2,500")]
    [InlineData("limpiesa", "Limpieza dental")]
    public async Task The_right_passage_is_found_in_spanish_and_english_whatever_the_accents_case_or_a_typo(string question, string expected)
    {
        var tenant = await ClinicAsync();
        var passages = await SearchAsync(tenant, question);
        Assert.NotEmpty(passages);
        Assert.Contains(expected, passages[0].Text);
    }

    [Fact]
    public async Task A_tenant_never_retrieves_another_tenants_passages()
    {
        var clinic = await ClinicAsync();
        var other = await app.TenantAsync();
        Assert.NotEmpty(await SearchAsync(clinic, "limpieza"));
        Assert.Empty(await SearchAsync(other.Id, "limpieza"));
        Assert.Empty(await SearchAsync(other.Id, "limpiesa"));
    }

    [Fact]
    public async Task The_api_adds_lists_and_deletes_documents_and_a_deleted_document_is_no_longer_found()
    {
        var tenant = await app.TenantAsync();
        var api = app.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        var created = await api.PostAsJsonAsync($"/api/v1/tenants/{tenant.Id}/knowledge",
            new { title = "Formas de pago", content = "Aceptamos tarjeta, efectivo y transferencia. Meses sin intereses con tarjetas participantes." });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var list = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenant.Id}/knowledge");
        Assert.Equal("Formas de pago", list[0].GetProperty("title").GetString());
        Assert.NotEmpty(await SearchAsync(tenant.Id, "¿aceptan transferencia?"));

        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync($"/api/v1/tenants/{tenant.Id}/knowledge/{id}")).StatusCode);
        Assert.Empty(await SearchAsync(tenant.Id, "¿aceptan transferencia?"));
        Assert.Equal(HttpStatusCode.NotFound, (await api.DeleteAsync($"/api/v1/tenants/{tenant.Id}/knowledge/{id}")).StatusCode);
    }

    [Fact]
    public async Task Bad_documents_get_a_problem_and_another_tenants_document_cannot_be_deleted()
    {
        var mine = await app.TenantAsync();
        var theirs = await ClinicAsync();
        var api = app.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        var empty = await api.PostAsJsonAsync($"/api/v1/tenants/{mine.Id}/knowledge", new { title = "", content = "x" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, empty.StatusCode);
        Assert.Contains("title", (await empty.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());

        Guid theirDocument;
        await using (var work = app.Scopes.ForTenant(theirs))
            theirDocument = (await work.Services.GetRequiredService<KnowledgeBase>().ListAsync(default))[0].Id;
        Assert.Equal(HttpStatusCode.NotFound, (await api.DeleteAsync($"/api/v1/tenants/{mine.Id}/knowledge/{theirDocument}")).StatusCode);
        Assert.NotEmpty(await SearchAsync(theirs, "limpieza"));
    }
}
