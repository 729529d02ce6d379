using System.Text;

namespace Shrink.Data.Text;

/// <summary>
/// Streams the documents of a UTF-8 text file (gzip is not read here) in pieces of bounded size, never holding the
/// whole file: a document longer than <see cref="MaxPieceChars"/> comes in several pieces (each under twice that), cut at line ends (a longer
/// line is cut where it reaches the limit). Lines end at <c>\n</c>; a <c>\r</c> before it is dropped. A document whose
/// text is only whitespace is skipped; at the end of the file the last document loses its trailing blank lines.
/// </summary>
public sealed class TextDocumentReader : IDisposable
{
    /// <summary>The most characters one piece holds (documents longer than this come in several pieces).</summary>
    public const int MaxPieceChars = 1 << 16;

    private readonly StreamReader _reader;
    private readonly DocumentSeparator _separator;
    private readonly int _maxPiece;
    private readonly StringBuilder _line = new();
    private readonly StringBuilder _document = new();
    private readonly char[] _buffer = new char[8192];
    private int _start, _end;
    private bool _documentHasText, _documentStarted;

    /// <summary>Opens <paramref name="path"/>.</summary>
    /// <param name="path">The text file.</param>
    /// <param name="separator">Where documents end.</param>
    /// <param name="maxPieceChars">The piece limit (tests lower it).</param>
    public TextDocumentReader(string path, DocumentSeparator separator, int maxPieceChars = MaxPieceChars)
    {
        ArgumentNullException.ThrowIfNull(separator);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPieceChars, 16);
        _reader = new StreamReader(path, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true, new FileStreamOptions { Access = FileAccess.Read, Mode = FileMode.Open, Share = FileShare.Read, BufferSize = 1 << 16 });
        _separator = separator;
        _maxPiece = maxPieceChars;
    }

    /// <summary>One piece of a document; <paramref name="EndsDocument"/> is true on its last piece.</summary>
    public readonly record struct Piece(string Text, bool EndsDocument, bool StartsDocument);

    /// <summary>The pieces of every document, in file order.</summary>
    public IEnumerable<Piece> Pieces()
    {
        bool continues = false; // the line read is the rest of a line cut at the piece limit
        while (ReadLine(out bool complete, out bool atEnd))
        {
            string line = _line.ToString();
            if (_separator.EveryLine)
            {
                Append(line);
                if (complete && Flush(end: true) is Piece p) yield return p;
            }
            else if (complete && !continues && IsSeparator(line))
            {
                if (Flush(end: true) is Piece p) yield return p;
            }
            else
            {
                Append(line);
                if (complete) _document.Append('\n');
            }
            continues = !complete;
            if (_document.Length >= _maxPiece && Flush(end: false) is Piece part)
                yield return part;
            if (atEnd) break;
        }
        if (!_separator.EveryLine)
        {
            int n = _document.Length;
            while (n > 0 && _document[n - 1] == '\n') n--;
            _document.Length = n;
            if (n > 0) _document.Append('\n');
        }
        if (Flush(end: true) is Piece last) yield return last;
    }

    private bool IsSeparator(string line) => _separator.MarkerText is string marker ? line == marker : string.IsNullOrWhiteSpace(line);

    private void Append(string text)
    {
        _document.Append(text);
        if (!_documentHasText && !string.IsNullOrWhiteSpace(text)) _documentHasText = true;
    }

    /// <summary>Emits what the document buffer holds (null when nothing worth a piece), resetting it at a document's end.</summary>
    private Piece? Flush(bool end)
    {
        Piece? piece = null;
        if (_documentHasText || _documentStarted || _document.Length >= _maxPiece)
        {
            piece = new Piece(_document.ToString(), end, !_documentStarted);
            _documentStarted = !end;
        }
        else if (!end)
            return null; // whitespace only so far (and short): keep it until the document shows text, or ends and is skipped
        _document.Clear();
        if (end) _documentHasText = false;
        return piece;
    }

    /// <summary>Reads up to one line (at most the piece limit) into <see cref="_line"/>; false at the end of the file.</summary>
    private bool ReadLine(out bool complete, out bool atEnd)
    {
        _line.Clear();
        complete = false;
        atEnd = false;
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = _reader.Read(_buffer, 0, _buffer.Length);
                if (_end == 0)
                {
                    atEnd = true;
                    complete = true;
                    TrimCarriageReturn();
                    return _line.Length > 0;
                }
            }
            int newline = Array.IndexOf(_buffer, '\n', _start, _end - _start);
            int stop = newline < 0 ? _end : newline;
            int take = Math.Min(stop - _start, _maxPiece - _line.Length);
            _line.Append(_buffer, _start, take);
            _start += take;
            if (newline >= 0 && _start == newline)
            {
                _start++;
                complete = true;
                TrimCarriageReturn();
                return true;
            }
            if (_line.Length >= _maxPiece) return true;
        }
    }

    private void TrimCarriageReturn()
    {
        if (_line.Length > 0 && _line[^1] == '\r') _line.Length--;
    }

    /// <inheritdoc />
    public void Dispose() => _reader.Dispose();
}
