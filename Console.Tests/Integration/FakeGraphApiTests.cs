using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OperatorConsole.Tests.Fakes;

namespace OperatorConsole.Tests.Integration;

/// <summary>The fake the Channels step tests against must answer exactly like Meta does.</summary>
public class FakeGraphApiTests
{
    [Fact]
    public async Task Records_a_send_and_answers_with_a_wamid()
    {
        await using var graph = await FakeGraphApi.StartAsync();
        using var http = new HttpClient { BaseAddress = graph.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new("Bearer", "EAAG-test");
        var response = await http.PostAsJsonAsync("/v23.0/100000000000001/messages",
            new { messaging_product = "whatsapp", recipient_type = "individual", to = "5215512345678", type = "text", text = new { body = "hola" } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("wamid.", body.GetProperty("messages")[0].GetProperty("id").GetString());
        var send = Assert.Single(graph.Sends);
        Assert.Equal("Bearer EAAG-test", send.Authorization);
        Assert.Equal("hola", send.Body!["text"]!["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task Answers_queued_errors_in_Metas_error_shape()
    {
        await using var graph = await FakeGraphApi.StartAsync();
        graph.FailNext(new GraphError(131047, Message: "Re-engagement message"));
        using var http = new HttpClient { BaseAddress = graph.BaseUrl };
        var failed = await http.PostAsJsonAsync("/v23.0/1/messages", new { messaging_product = "whatsapp", to = "1", type = "text" });
        Assert.Equal(HttpStatusCode.BadRequest, failed.StatusCode);
        var error = (await failed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal(131047, error.GetProperty("code").GetInt32());
        Assert.Equal("OAuthException", error.GetProperty("type").GetString());
        // Only the next send fails.
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync("/v23.0/1/messages", new { messaging_product = "whatsapp", to = "1" })).StatusCode);
    }

    [Fact]
    public async Task Serves_media_through_the_two_step_graph_flow()
    {
        await using var graph = await FakeGraphApi.StartAsync();
        graph.AddMedia("1234567890", "image/jpeg", [1, 2, 3, 4]);
        using var http = new HttpClient { BaseAddress = graph.BaseUrl };
        var info = await http.GetFromJsonAsync<JsonElement>("/v23.0/1234567890");
        Assert.Equal("image/jpeg", info.GetProperty("mime_type").GetString());
        var bytes = await http.GetByteArrayAsync(info.GetProperty("url").GetString());
        Assert.Equal([1, 2, 3, 4], bytes);
    }
}
