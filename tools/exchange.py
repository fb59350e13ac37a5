"""nbgrader's exchange, collecting only what each student really submitted.

nbgrader's own `collect` warns when a submission folder is owned by someone other than the student it is
named after, and collects it anyway: any user of the hub could submit in a classmate's name. This
collector refuses such a submission (every file and folder in it must belong to the claimed student's
login), says why, and falls back to that student's latest submission that is really theirs.
nbgrader_config.py makes `nbgrader collect` use it.
"""
import glob
import os
import pwd

from nbgrader.exchange.default.collect import ExchangeCollect
from traitlets import Dict, Int


class OwnerCheckedCollect(ExchangeCollect):
    student_uids = Dict(value_trait=Int(), help="student id -> login uid, where the student id is not the "
                        "login name (default: the uid of the login named like the student)").tag(config=True)

    def claimed_uid(self, student):
        if student in self.student_uids:
            return self.student_uids[student]
        try:
            return pwd.getpwnam(student).pw_uid
        except KeyError:
            return None

    def forgery(self, record):
        """Why this submission is not the claimed student's own, or None when every file is theirs."""
        student, path = record["username"], os.path.join(self.inbound_path, record["filename"])
        uid = self.claimed_uid(student)
        if uid is None:
            return (f"no login named {student!r} (and no OwnerCheckedCollect.student_uids entry): "
                    "cannot tell who submitted it")
        for folder, dirs, files in os.walk(path):
            for name in [folder, *(os.path.join(folder, f) for f in dirs + files)]:
                owner = os.lstat(name).st_uid
                if owner != uid:
                    return (f"{os.path.relpath(name, self.inbound_path)} belongs to uid {owner}, "
                            f"not to {student} (uid {uid})")
        return None

    def init_src(self):
        super().init_src()
        student = self.coursedir.student_id or "*"
        pattern = os.path.join(self.inbound_path, f"{student}+{self.coursedir.assignment_id}+*")
        genuine = {}
        for record in self._sort_by_timestamp([self._path_to_record(f) for f in glob.glob(pattern)]):
            reason = self.forgery(record)
            if reason:
                self.log.error("Refusing %s: %s", record["filename"], reason)
            elif self.duedate is None or not self.before_duedate or record["timestamp"] <= self.duedate:
                genuine.setdefault(record["username"], record)  # newest first: the latest genuine one
        self.src_records = list(genuine.values())
