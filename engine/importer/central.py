"""Bodies every plan may name whatever its city: the Government, the ministries, the
provinces and the communes as collectives, and a province's usual departments.

They are not a directory: a name matched here and missing from the given directory is
proposed for it (with its usual name and id, and a `# CHECK:` mark), never used silently.
Names are those in force in 2025 (after the ministry mergers of 01/3/2025), with the earlier
ministries kept because plans from before still name them.
"""

from __future__ import annotations

# (id, name, kind, aliases)
Body = tuple[str, str, str, tuple[str, ...]]

GOVERNMENT: tuple[Body, ...] = (
    ("chinh-phu", "Chính phủ", "central", ()),
    ("thu-tuong-chinh-phu", "Thủ tướng Chính phủ", "central", ("Thủ tướng", "TTg")),
    ("van-phong-chinh-phu", "Văn phòng Chính phủ", "central", ("VPCP",)),
    ("thanh-tra-chinh-phu", "Thanh tra Chính phủ", "central", ()),
    ("ngan-hang-nha-nuoc", "Ngân hàng Nhà nước Việt Nam", "central",
     ("Ngân hàng Nhà nước", "NHNN", "NHNNVN")),
    ("bo-quoc-phong", "Bộ Quốc phòng", "central", ("BQP",)),
    ("bo-cong-an", "Bộ Công an", "central", ("BCA",)),
    ("bo-ngoai-giao", "Bộ Ngoại giao", "central", ()),
    ("bo-noi-vu", "Bộ Nội vụ", "central", ("BNV",)),
    ("bo-tu-phap", "Bộ Tư pháp", "central", ("BTP",)),
    ("bo-tai-chinh", "Bộ Tài chính", "central", ("BTC",)),
    ("bo-cong-thuong", "Bộ Công Thương", "central", ("BCT",)),
    ("bo-nn-mt", "Bộ Nông nghiệp và Môi trường", "central", ("Bộ NN&MT", "Bộ NNMT")),
    ("bo-xay-dung", "Bộ Xây dựng", "central", ("BXD",)),
    ("bo-vh-tt-dl", "Bộ Văn hóa, Thể thao và Du lịch", "central",
     ("Bộ VHTTDL", "Bộ VH,TT&DL", "Bộ Văn hoá, Thể thao và Du lịch")),
    ("bo-kh-cn", "Bộ Khoa học và Công nghệ", "central", ("Bộ KH&CN", "Bộ KHCN")),
    ("bo-gd-dt", "Bộ Giáo dục và Đào tạo", "central", ("Bộ GD&ĐT", "Bộ GDĐT")),
    ("bo-y-te", "Bộ Y tế", "central", ("BYT",)),
    ("bo-dan-toc-ton-giao", "Bộ Dân tộc và Tôn giáo", "central", ("Bộ DT&TG",)),
    # Before 01/3/2025.
    ("bo-kh-dt", "Bộ Kế hoạch và Đầu tư", "central", ("Bộ KH&ĐT", "Bộ KHĐT")),
    ("bo-tn-mt", "Bộ Tài nguyên và Môi trường", "central", ("Bộ TN&MT", "Bộ TNMT")),
    ("bo-nn-ptnt", "Bộ Nông nghiệp và Phát triển nông thôn", "central",
     ("Bộ NN&PTNT", "Bộ NNPTNT")),
    ("bo-gtvt", "Bộ Giao thông vận tải", "central", ("Bộ GTVT",)),
    ("bo-tt-tt", "Bộ Thông tin và Truyền thông", "central", ("Bộ TT&TT", "Bộ TTTT")),
    ("bo-ld-tb-xh", "Bộ Lao động - Thương binh và Xã hội", "central",
     ("Bộ LĐ-TB&XH", "Bộ LĐTBXH", "Bộ Lao động, Thương binh và Xã hội")),
    ("uy-ban-dan-toc", "Ủy ban Dân tộc", "central", ("UBDT",)),
    ("dai-truyen-hinh-viet-nam", "Đài Truyền hình Việt Nam", "central", ("VTV",)),
    ("dai-tieng-noi-viet-nam", "Đài Tiếng nói Việt Nam", "central", ("VOV",)),
    ("thong-tan-xa-viet-nam", "Thông tấn xã Việt Nam", "central", ("TTXVN",)),
    ("ban-tuyen-giao-trung-uong", "Ban Tuyên giáo Trung ương", "central",
     ("Ban Tuyên giáo và Dân vận Trung ương",)),
    # Collectives.
    ("cac-bo-nganh", "Các bộ, cơ quan ngang bộ, cơ quan thuộc Chính phủ", "collective",
     ("Các bộ, ngành", "Các bộ, ngành trung ương", "Các bộ, cơ quan ngang bộ",
      "Bộ, ngành", "Các bộ, cơ quan", "Các bộ, cơ quan trung ương")),
    ("ubnd-cap-tinh", "Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương",
     "collective", ("UBND các tỉnh, thành phố trực thuộc trung ương",
                    "Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung ương",
                    "UBND các tỉnh, thành phố", "Ủy ban nhân dân các tỉnh, thành phố",
                    "UBND cấp tỉnh", "Ủy ban nhân dân cấp tỉnh")),
    # The two-level local government since 01/7/2025: province and commune.
    ("ubnd-cap-xa", "Ủy ban nhân dân các xã, phường, đặc khu", "collective",
     ("UBND các xã, phường", "Ủy ban nhân dân các xã, phường", "UBND cấp xã",
      "Ủy ban nhân dân cấp xã", "UBND các xã, phường, đặc khu",
      "UBND các xã, phường, thị trấn", "Ủy ban nhân dân các xã, phường, thị trấn",
      "UBND xã, phường, đặc khu", "Ủy ban nhân dân xã, phường, đặc khu", "UBND xã, phường",
      "Ủy ban nhân dân xã, phường", "UBND các phường, xã", "Ủy ban nhân dân các phường, xã",
      "UBND các phường, xã, đặc khu")),
)

PROVINCE: tuple[Body, ...] = (
    ("so-noi-vu", "Sở Nội vụ", "department", ()),
    ("so-tu-phap", "Sở Tư pháp", "department", ()),
    ("so-tai-chinh", "Sở Tài chính", "department", ()),
    ("so-xay-dung", "Sở Xây dựng", "department", ()),
    ("so-cong-thuong", "Sở Công Thương", "department", ()),
    ("so-y-te", "Sở Y tế", "department", ()),
    ("so-ngoai-vu", "Sở Ngoại vụ", "department", ()),
    ("thanh-tra-tinh", "Thanh tra tỉnh", "department", ()),
    ("van-phong-ubnd-tinh", "Văn phòng Ủy ban nhân dân tỉnh", "department",
     ("Văn phòng UBND tỉnh", "VP UBND tỉnh")),
    ("so-nn-mt", "Sở Nông nghiệp và Môi trường", "department", ("Sở NN&MT", "Sở NNMT")),
    ("so-kh-cn", "Sở Khoa học và Công nghệ", "department", ("Sở KH&CN", "Sở KHCN")),
    ("so-gd-dt", "Sở Giáo dục và Đào tạo", "department", ("Sở GD&ĐT", "Sở GDĐT")),
    ("so-vh-tt-dl", "Sở Văn hóa, Thể thao và Du lịch", "department",
     ("Sở VHTTDL", "Sở VH,TT&DL", "Sở Văn hoá, Thể thao và Du lịch")),
    ("so-dan-toc-ton-giao", "Sở Dân tộc và Tôn giáo", "department", ()),
    ("so-tn-mt", "Sở Tài nguyên và Môi trường", "department", ("Sở TN&MT", "Sở TNMT")),
    ("so-kh-dt", "Sở Kế hoạch và Đầu tư", "department", ("Sở KH&ĐT", "Sở KHĐT")),
    ("so-tt-tt", "Sở Thông tin và Truyền thông", "department", ("Sở TT&TT", "Sở TTTT")),
    ("so-ld-tb-xh", "Sở Lao động - Thương binh và Xã hội", "department",
     ("Sở LĐ-TB&XH", "Sở LĐTBXH")),
    ("so-nn-ptnt", "Sở Nông nghiệp và Phát triển nông thôn", "department",
     ("Sở NN&PTNT", "Sở NNPTNT")),
    ("so-gtvt", "Sở Giao thông vận tải", "department", ("Sở GTVT",)),
    ("cong-an-tinh", "Công an tỉnh", "department", ()),
    ("bo-chqs-tinh", "Bộ Chỉ huy Quân sự tỉnh", "department", ("Bộ CHQS tỉnh",)),
    ("cac-so-ban-nganh", "Các sở, ban, ngành", "collective",
     ("Các sở, ngành", "Sở, ban, ngành", "Các sở, ban, ngành tỉnh")),
)

# Names whose usual form says more than many plans print: when the printed name lacks the
# word, which body is meant is a question for the operator (id -> folded word, question).
ASK_UNLESS_PRINTED: dict[str, tuple[str, str]] = {
    "ubnd-cap-xa": ("dac khu", "the communes' collective is named with the special zones "
                    "(đặc khu): does this province have any, or is it 'các xã, phường'?"),
}
# A plan that never prints the word names the body without it, surely (id -> that name): a
# province without special zones has "Ủy ban nhân dân các xã, phường".
NAMED_WITHOUT: dict[str, str] = {"ubnd-cap-xa": "Ủy ban nhân dân các xã, phường"}
