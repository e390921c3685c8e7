"""Lists, creates and detaches the year partitions of the largest tables (ce_portal/partitions.py).

    manage.py year_partitions                  each partition with its rows and size
    manage.py year_partitions --create 2028    make a year's partitions now (the nightly task makes the next)
    manage.py year_partitions --detach 2019    take an old year of platform records out of the live database
                                               (asks to type the year; --no-input does not ask)
    manage.py year_partitions --attach 2019    put a detached year back, while its table has not been dropped
"""
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from ce_portal.clock import business_today
from ce_portal.partitions import (
    DETACHABLE_TABLES, YEAR_PARTITIONED_TABLES, PartitionRefused, year_partition_attach, year_partition_detach,
    year_partition_detach_rows, year_partitions, year_partitions_ensure,
)


class Command(BaseCommand):
    help = "查看、创建或分离按年度分区的表（平台登记学时、学时申报）的年度分区；只有平台登记学时可以分离。"

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--create", type=int, metavar="年度", help="创建该年度的分区")
        action.add_argument("--detach", type=int, metavar="年度", help="分离该年度的分区，之后可归档并删除")
        action.add_argument("--attach", type=int, metavar="年度", help="把已分离、尚未删除的年度分区挂回")
        parser.add_argument("--no-input", action="store_false", dest="interactive", help="分离前不要求输入年度确认")

    def handle(self, *args, create=None, detach=None, attach=None, interactive=True, **options):
        if connection.vendor != "postgresql":
            raise CommandError("只有 PostgreSQL 上的部署按年度分区；SQLite 演示库没有分区。")
        if create is not None:
            made = year_partitions_ensure([create])
            self.stdout.write("已创建：" + "、".join(made) if made else f"{create} 年度的分区已经存在。")
        elif detach is not None:
            if interactive:
                self._confirm_detach(detach)
            for table in DETACHABLE_TABLES:
                try:
                    name = year_partition_detach(table, detach, today=business_today())
                except PartitionRefused as refusal:
                    raise CommandError(str(refusal)) from refusal
                self.stdout.write(
                    f"已分离 {name}：它不再属于 {table}，门户不再读取。归档：pg_dump -t {name} > {name}.dump，"
                    f"核对后 DROP TABLE {name}；删除之前可用 --attach {detach} 挂回。"
                )
        elif attach is not None:
            for table in DETACHABLE_TABLES:
                try:
                    name = year_partition_attach(table, attach)
                except PartitionRefused as refusal:
                    raise CommandError(str(refusal)) from refusal
                self.stdout.write(f"已挂回 {name}：{attach} 年度的数据重新出现在门户中。")
        for table in YEAR_PARTITIONED_TABLES:
            self.stdout.write(table)
            for partition in year_partitions(table):
                label = f"{partition.year} 年度" if partition.year else "未建分区的年度（DEFAULT）"
                self.stdout.write(f"  {label:<16} {partition.rows:>12,} 行 {partition.bytes / 2**20:>10,.1f} MB  {partition.name}")

    def _confirm_detach(self, year: int) -> None:
        try:
            rows = sum(year_partition_detach_rows(table, year, today=business_today()) for table in DETACHABLE_TABLES)
        except PartitionRefused as refusal:  # told before anyone is asked to confirm
            raise CommandError(str(refusal)) from refusal
        self.stdout.write(
            f"将分离 {year} 年度的 {rows:,} 条平台登记学时：它们不再出现在门户的任何页面和检查中"
            f"（个人年度学时合计与证书保留）。该年度未处理的疑点请先处理。"
        )
        try:
            answer = input(f"输入 {year} 确认分离：")
        except EOFError:  # no terminal (a script or cron): nobody confirmed
            raise CommandError("未确认，未做任何更改。不经询问地分离，请加 --no-input。") from None
        if answer.strip() != str(year):
            raise CommandError("未确认，未做任何更改。")
