using Microsoft.AspNetCore.Http;
using Sluice.Protocol;
using Sluice.Server.Auth;

namespace Sluice.Tests.Auth;

public sealed class RequestTokenTests
{
    private static HttpRequest Request(string query = "", string? authorization = null)
    {
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString(query);
        if (authorization is not null)
            context.Request.Headers.Authorization = authorization;
        return context.Request;
    }

    [Theory]
    [InlineData("?token=abc", null, "abc")]
    [InlineData("", "Bearer abc", "abc")]
    [InlineData("", "bearer   abc ", "abc")]
    [InlineData("?token=abc", "Bearer abc", "abc")]
    [InlineData("", null, null)]
    [InlineData("?token=", null, null)]
    [InlineData("", "Basic dXNlcjpwYXNz", null)]
    [InlineData("", "Bearer ", null)]
    public void Finds_the_token_in_the_query_or_the_bearer_header(string query, string? authorization, string? expected)
    {
        Assert.True(RequestToken.TryRead(Request(query, authorization), out var token, out _));
        Assert.Equal(expected, token);
    }

    [Theory]
    [InlineData("?token=a&token=b", null)]
    [InlineData("?token=a", "Bearer b")]
    public void Ambiguous_requests_are_refused(string query, string? authorization)
    {
        Assert.False(RequestToken.TryRead(Request(query, authorization), out _, out var error));
        Assert.Equal(ErrorCodes.InvalidToken, error!.ErrorCode);
    }
}
