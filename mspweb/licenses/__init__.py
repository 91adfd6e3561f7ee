"""License Management: the License Management tree, the table of licenses in pools, tags, CSV.

`queries` builds every query on licenses in pools (page, export, CLI); `table` serves pages
at any size (seek paging) and `stamp` keeps their counts; `tree` builds the tree; `status` says
what state a license is in; `export` writes CSV; `views` is the web pages, `cli` the command
line.
"""
