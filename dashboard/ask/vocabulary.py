"""The fixed words of 一句话响应: what the command room says around the city's own names.

The city's names (regions, departments, categories, sources, targets) come from its data
(dashboard/ask/lexicon.py); what is here is the language around them: the words that carry no
filter (看看, 的, 件), the verbs that make an instruction, the words that name a page, the common
short words for incident categories, and the suffixes a short form drops. A city adds its own
words with ``[ask] aliases`` (dashboard/settings.py).
"""
from __future__ import annotations

#: words that select nothing: recognised, listed as ignored, never reported as unknown
FILLERS = (
    "看看", "看一下", "看一看", "查看", "查一下", "查查", "查询", "显示", "展示", "打开", "切换到", "切到", "调出", "给我",
    "我要", "我想看", "帮我", "一下", "情况", "怎么样", "如何", "多少", "有多少", "有哪些", "哪些", "全部", "所有",
    "列表", "统计", "分析", "数据", "的", "了", "件", "个", "和", "与", "及", "以及", "在", "中", "里", "里面", "内的",
    "呢", "吗", "吧", "啊", "把", "对", "将", "由", "交由", "交", "责成", "要求", "进行", "抓紧", "尽快", "立即",
    "马上", "及时", "认真", "做好", "一起", "相关", "问题", "方面", "工作", "地区", "区域", "辖区", "范围", "下",
)
#: 请 opens an instruction; 限 … 前 is its deadline (dashboard/ask/times.py reads the deadline itself)
PLEASE = ("请", "麻烦")
#: verbs that make a sentence an instruction (with 请 or a deadline); the first one is its action
ACTIONS = ("处置", "核查", "上报", "整改", "处理", "督办", "排查", "整治", "落实", "跟进", "反馈", "核实", "清理")
#: words that name a page (when nothing more specific in the sentence does)
PAGES = {
    "大屏": "/wall", "首页": "/wall", "事件": "/incidents", "工单": "/incidents", "案件": "/incidents",
    "诉求": "/incidents", "一张图": "/incidents", "数据共享": "/sharing", "共享": "/sharing", "目录": "/sharing",
    "数据交换": "/exchange", "交换": "/exchange", "上云进度": "/cloud", "上云": "/cloud", "信息系统": "/cloud",
    "目标": "/targets", "目标指标": "/targets", "绩效": "/scoreboard", "排名": "/scoreboard", "考核": "/scoreboard",
    "部门绩效": "/scoreboard", "通报": "/briefing", "数据状态": "/status",
}
PAGE_TITLES = {"/wall": "大屏", "/incidents": "事件 · 一张图", "/sharing": "数据共享", "/exchange": "数据交换",
               "/cloud": "上云进度", "/targets": "目标指标", "/scoreboard": "部门绩效 · 通报", "/briefing": "通报",
               "/status": "数据状态", "/tasks": "指令"}
#: the page of an indicator of dashboard/indicators.py's registry (incident indicators: /incidents)
INDICATOR_PAGES = {
    "sharing_rate": "/sharing", "gov_aggregation_rate": "/sharing", "aggregation_rate": "/sharing",
    "city_aggregation_rate": "/sharing", "cloud_migration_rate": "/cloud", "cloud_burnup": "/cloud",
    "network_rate": "/wall", "network_rate_市": "/wall", "network_rate_镇": "/wall", "network_rate_村": "/wall",
    "exchange_records": "/exchange", "target_attainment": "/targets", "six_ones": "/targets",
    "six_databases": "/targets", "smart_communities": "/targets", "smart_towns": "/targets", "smart_parks": "/targets",
    "instructions_issued_today": "/tasks", "open_instructions": "/tasks", "overdue_instructions": "/tasks",
}
#: common short words for incident categories: word → category (used when the city has that category)
CATEGORY_ALIASES = {
    "城管": "城市管理", "市容": "市容环境", "环境卫生": "市容环境", "交通": "交通出行", "市监": "市场监管",
    "物业": "住房物业", "住房": "住房物业", "治安": "公共安全", "安全": "公共安全", "环保": "环境保护",
    "污染": "环境保护", "水电": "水电气暖", "水电气": "水电气暖", "停水": "水电气暖", "停电": "水电气暖",
    "噪声": "噪声扰民", "噪音": "噪声扰民", "噪音扰民": "噪声扰民", "扰民": "噪声扰民", "劳保": "劳动保障", "欠薪": "劳动保障",
    "教育": "教育医疗", "医疗": "教育医疗",
}
#: common short words for incident sources: word → source
SOURCE_ALIASES = {"热线": "12345热线", "市民热线": "12345热线", "巡查": "网格巡查", "网格员": "网格巡查",
                  "联动": "110联动"}
#: words for the incidents' 办理状态 values (the contract's 受理, 处置中, 已办结)
STATUS_ALIASES = {"待受理": "受理", "新受理": "受理", "已受理": "受理", "处理中": "处置中", "办理中": "处置中",
                  "在办": "处置中", "办结了": "已办结", "已完成": "已办结", "已处理": "已办结", "已办": "已办结"}
#: 全市: the city as the region
CITY_WORDS = ("全市", "全城", "市级", "市里")
#: what a region's short form drops (滨江区 → 滨江), longest first
REGION_SUFFIXES = ("街道办事处", "街道", "社区", "新区", "区", "县", "市", "镇", "乡", "村")
#: what a department's short form drops (城管局 → 城管); 政府 stays (东湖区政府 is not 东湖区)
DEPARTMENT_SUFFIXES = ("委员会", "办公室", "局", "委", "办")
#: short forms too general to stand for one name
TOO_GENERAL = frozenset({"城市", "公共", "其他", "市场", "数据", "信息", "政务", "服务", "管理", "中心", "国家"})
#: words that often describe what an instruction is about: jieba's user dictionary, so the words
#: the dictionaries do not know are reported whole (占道经营, not 占道 + 经营)
OBJECT_WORDS = (
    "占道经营", "流动摊贩", "违章停车", "乱停乱放", "违法建设", "乱搭乱建", "乱堆乱放", "垃圾满溢", "井盖缺失",
    "井盖", "路灯", "垃圾", "油烟", "渣土", "积水", "破损", "缺失", "隐患", "夜间施工", "施工", "漏水", "污水",
    "异味", "焚烧", "广告牌", "绿化", "树木", "道路", "桥梁", "河道", "摊贩", "小区", "商户", "学校", "医院",
)
